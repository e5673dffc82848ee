/**
 * Exit codes of `irqlab sweep run`, chosen so a batch engine's retry policy can tell a
 * passing fault from a permanent one (sysexits.h numbers):
 *   0   every cell of the shard has a result
 *   75  EX_TEMPFAIL  retry me: a cell could not finish (worker crash, I/O error, killed)
 *   65  EX_DATAERR   do not retry: the plan is malformed, its hash or irqlab version does
 *                    not match, or the shard index is outside the array
 * Kubernetes' podFailurePolicy maps 65 to FailIndex; Slurm's requeue logic retries 75 only.
 */
export const EXIT_SHARD_OK = 0;
export const EXIT_RETRY = 75;
export const EXIT_NO_RETRY = 65;
/** `sweep merge` / `sweep status`: cells are missing (the merge is incomplete). */
export const EXIT_INCOMPLETE = 4;
