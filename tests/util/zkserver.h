/*
 * tests/util/zkserver.h - a local ZooKeeper server for tests, benchmarks and the demo: Debian's
 * zookeeper package (Java) run standalone on a loopback port with its own data directory.
 *
 * HOW IT WORKS
 * sl_zkserver_start writes a zoo.cfg into a fresh temporary directory (tickTime 200 ms, so
 * sessions of 0.4 s to 40 s are allowed; the admin web server off; only the srvr four-letter
 * command enabled), picks a free port on 127.0.0.1 (bind to port 0, read it back, close),
 * forks `java -cp <jars> org.apache.zookeeper.server.ZooKeeperServerMain zoo.cfg` and waits
 * until the server answers "srvr" with its mode - about half a second here. The classpath is
 * the package's jars under /usr/share/java (SLUICE_ZK_CLASSPATH overrides it; SLUICE_JAVA
 * names another java). The server's output goes to server.log in that directory.
 *
 * sl_zkserver_stop ends it (SIGTERM, then SIGKILL after 5 s); sl_zkserver_restart stops and
 * starts it on the same port, keeping the data (sessions and nodes survive, as with a real
 * restart) or wiping it (every session is then unknown to the server: clients see expiry).
 * sl_zkserver_free stops it and removes the directory. The server is killed when the thread
 * that started it ends (PR_SET_PDEATHSIG), so a crashed test leaves no Java process behind.
 *
 * ERRORS: SL_ENOTSUP when java or the zookeeper jars are missing (tests skip then), SL_EIO
 * when the server does not come up within 30 s (the message points at server.log).
 */
#ifndef SL_COORD_ZKSERVER_H
#define SL_COORD_ZKSERVER_H

#include "engine/core/error.h"

struct sl_zkserver;

/* Starts a server; *out is the caller's (sl_zkserver_free). */
int sl_zkserver_start(struct sl_zkserver **out, struct sl_error *err);
/* "127.0.0.1:PORT"; owned by the server object. */
const char *sl_zkserver_address(const struct sl_zkserver *zs);
/* Stops the server process (the object stays, for a restart). */
void sl_zkserver_stop(struct sl_zkserver *zs);
/* Stops (if running) and starts again on the same port; wipe != 0 deletes the data first. */
int sl_zkserver_restart(struct sl_zkserver *zs, int wipe, struct sl_error *err);
/* Stops the server, removes its directory and frees zs; NULL is fine. */
void sl_zkserver_free(struct sl_zkserver *zs);

#endif
