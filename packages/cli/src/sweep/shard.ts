/**
 * Which cells a shard runs. A shard is "I of N" (0-based I); its cells are those whose
 * index is I mod N, so every shard gets a similar mix of the grid. Batch engines give the
 * index in an environment variable: SLURM_ARRAY_TASK_ID (Slurm arrays, 0- or 1-based as
 * the --array range says), JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs, 0-based),
 * AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch, 0-based); `VAR,OFFSET` subtracts OFFSET (1 for a
 * 1-based array).
 */
import { CliError } from "../errors.js";
import { EXIT_NO_RETRY } from "./exit-codes.js";
import type { Cell } from "./grid.js";

export interface Shard {
  readonly index: number;
  readonly count: number;
}

const MAX_SHARDS = 1_000_000;

function bad(msg: string): never {
  throw new CliError(msg, EXIT_NO_RETRY);
}

function wholeNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) bad(`${what}: "${text}" is not a non-negative integer`);
  return Number(text.trim());
}

/** "I/N" with 0 <= I < N. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) bad(`--shard "${text}": expected I/N (0-based shard I of N), e.g. 0/4`);
  return checkShard(Number(m[1]), Number(m[2]), "--shard");
}

function checkShard(index: number, count: number, what: string): Shard {
  if (count < 1 || count > MAX_SHARDS) bad(`${what}: shard count ${count} (1..${MAX_SHARDS})`);
  if (index >= count) bad(`${what}: shard index ${index} is outside 0..${count - 1}`);
  return { index, count };
}

/** Environment variables that carry a shard count, tried when --shards is not given. */
export const COUNT_VARS = ["SLURM_ARRAY_TASK_COUNT", "AWS_BATCH_JOB_ARRAY_SIZE"] as const;

/**
 * `--shard-from-env VAR[,OFFSET]` with the count from `--shards N` or, failing that, from
 * SLURM_ARRAY_TASK_COUNT / AWS_BATCH_JOB_ARRAY_SIZE.
 */
export function shardFromEnv(spec: string, shards: number | undefined, env: NodeJS.ProcessEnv = process.env): Shard {
  const [name, offsetText, ...rest] = spec.split(",");
  if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || rest.length) bad(`--shard-from-env "${spec}": expected VAR or VAR,OFFSET`);
  const offset = offsetText === undefined ? 0 : wholeNumber(offsetText, `--shard-from-env offset`);
  const raw = env[name];
  if (raw === undefined || raw === "") bad(`--shard-from-env: ${name} is not set in the environment`);
  const value = wholeNumber(raw, name);
  if (value < offset) bad(`--shard-from-env: ${name}=${value} is below the offset ${offset}`);
  let count = shards;
  if (count === undefined) {
    for (const v of COUNT_VARS) {
      if (env[v]) {
        count = wholeNumber(env[v]!, v);
        break;
      }
    }
  }
  if (count === undefined) bad(`--shard-from-env: give the number of shards with --shards N`);
  return checkShard(value - offset, count, `--shard-from-env ${name}`);
}

export function cellsOfShard(cells: readonly Cell[], shard: Shard): Cell[] {
  const out: Cell[] = [];
  for (let i = shard.index; i < cells.length; i += shard.count) out.push(cells[i]);
  return out;
}
