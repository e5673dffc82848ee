/**
 * File descriptors. A KVM object (device, eventfd) is an open file; a process refers to it by
 * descriptor number through a handle. A handle that was closed answers EBADF, one used from
 * another process than the VM's answers EIO (the caller's mm differs), as the kernel does.
 * `dup` adds a reference to the same file; the file is released when its last handle closes.
 */
import { Errno, fail } from "./kvm-error.js";

let nextPid = 1;

export class Process {
  readonly pid = nextPid++;
  private fds = new Map<number, FileHandle>();
  /**
   * Lowest-free-descriptor allocation in O(log n): every descriptor below `top` is open
   * unless it is in `freed`, a binary min-heap of the closed ones (so the lowest free one is
   * `freed[0]`, else `top`). 0..2 are stdin/out/err, never handed out.
   */
  private top = 3;
  private readonly freed: number[] = [];
  private static current_: Process | null = null;

  /** The process tests and the CLI act as, unless they create others. */
  static current(): Process {
    return (Process.current_ ??= new Process());
  }

  /** The open handle for `fd`, or EBADF. */
  get(fd: number): FileHandle {
    const h = Number.isInteger(fd) ? this.fds.get(fd) : undefined;
    if (!h) fail(Errno.EBADF, `descriptor ${fd} is not open in process ${this.pid}`);
    return h;
  }

  lookup(fd: number): FileHandle | undefined {
    return this.fds.get(fd);
  }

  openCount(): number {
    return this.fds.size;
  }

  /** Installs a new reference to `file` at the lowest free descriptor (as open(2)). */
  install<F extends OpenFile, H extends FileHandle<F>>(
    file: F,
    make: (process: Process, fd: number, file: F) => H,
  ): H {
    const fd = this.freed.length > 0 ? this.freed[0] : this.top;
    const h = make(this, fd, file);
    if (fd === this.top) this.top++;
    else heapPop(this.freed);
    file.refs++;
    this.fds.set(fd, h);
    return h;
  }

  /** Passes a descriptor to this process (SCM_RIGHTS): a new handle on the same file. */
  receive<H extends FileHandle>(handle: H): H {
    if (handle.closed) fail(Errno.EBADF, `descriptor ${handle.fd} is closed`);
    return this.install(handle.file, (p, fd, f) => handle.reopen(p, fd, f) as H);
  }

  /** @internal */
  forget(fd: number): void {
    if (!this.fds.delete(fd)) return;
    if (fd === this.top - 1) {
      // Closing the highest: lower `top` instead (freed descriptors at the top stay in the heap
      // until popped; `install` never returns one >= top because every freed one is < top).
      this.top--;
      return;
    }
    heapPush(this.freed, fd);
  }
}

/** Binary min-heap on a plain array. */
function heapPush(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p] <= v) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): void {
  const last = h.pop()!;
  const n = h.length;
  if (n === 0) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const c = l + 1 < n && h[l + 1] < h[l] ? l + 1 : l;
    if (h[c] >= last) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = last;
}

/** The kernel-side object behind descriptors. */
export abstract class OpenFile {
  /** Descriptors (in any process) that refer to this file. */
  refs = 0;
  released = false;
  /** Kind shown in messages ("kvm-xics", "eventfd"). */
  abstract readonly kind: string;
  /** Runs once, when the last descriptor closes. */
  protected onRelease(): void {}
  /** @internal */
  drop(): void {
    if (--this.refs === 0 && !this.released) {
      this.released = true;
      this.onRelease();
    }
  }
}

export class FileHandle<F extends OpenFile = OpenFile> {
  closed = false;

  constructor(
    readonly process: Process,
    readonly fd: number,
    readonly file: F,
  ) {}

  /** EBADF on a closed handle. */
  protected checkOpen(): void {
    if (this.closed) fail(Errno.EBADF, `descriptor ${this.fd} (${this.file.kind}) is closed`);
  }

  /** close(2). Closing twice is EBADF. */
  close(): void {
    this.checkOpen();
    this.closed = true;
    this.process.forget(this.fd);
    this.file.drop();
  }

  /** dup(2): another descriptor for the same file, in the same process. */
  dup(): this {
    this.checkOpen();
    return this.process.install(this.file, (p, fd, f) => this.reopen(p, fd, f)) as this;
  }

  /** A handle of the same class on `file`; subclasses with other constructors override it. */
  reopen(process: Process, fd: number, file: F): FileHandle<F> {
    const Ctor = this.constructor as new (p: Process, fd: number, f: F) => FileHandle<F>;
    return new Ctor(process, fd, file);
  }
}
