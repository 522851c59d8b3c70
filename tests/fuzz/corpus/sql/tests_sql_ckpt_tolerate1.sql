-- Tolerate one failed checkpoint (test_checkpoint_faults.sh): the job goes on after a failed
-- epoch and fails only at the second failure in a row.
SET 'execution.checkpointing.tolerable-failed-checkpoints' = '1';
