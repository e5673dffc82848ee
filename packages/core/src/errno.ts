/** Linux errno names and numbers (asm-generic/errno-base.h, errno.h). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  EMFILE: 24,
  ENOTTY: 25,
  ENOSPC: 28,
  ERANGE: 34,
  EOPNOTSUPP: 95,
} as const;

export type ErrnoName = keyof typeof Errno;
export type ErrnoValue = (typeof Errno)[ErrnoName];

const byNumber = new Map<number, ErrnoName>(
  (Object.keys(Errno) as ErrnoName[]).map((k) => [Errno[k], k]),
);

/** "EINVAL" for 22; "E?123" for a number this table does not know. */
export function errnoName(n: number): string {
  return byNumber.get(n) ?? `E?${n}`;
}
