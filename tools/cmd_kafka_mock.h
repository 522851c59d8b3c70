/*
 * tools/cmd_kafka_mock.h - `sluice kafka-mock`: a Kafka-protocol broker for people and tests.
 */
#ifndef SL_TOOLS_CMD_KAFKA_MOCK_H
#define SL_TOOLS_CMD_KAFKA_MOCK_H

/* Runs the command; argv[0] is "kafka-mock". Returns the process exit status. */
int sl_cmd_kafka_mock(int argc, char **argv);

#endif
