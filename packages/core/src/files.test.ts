import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FileHandle, OpenFile, Process } from "./files.js";

class TestFile extends OpenFile {
  readonly kind = "test";
}

const open = (p: Process): FileHandle => p.install(new TestFile(), (pr, fd, f) => new FileHandle(pr, fd, f));

describe("Process descriptors", () => {
  it("hands out the lowest free descriptor, as open(2) does", () => {
    const p = new Process();
    const hs = [open(p), open(p), open(p), open(p)];
    expect(hs.map((h) => h.fd)).toEqual([3, 4, 5, 6]);
    hs[1].close();
    hs[3].close();
    expect(open(p).fd).toBe(4);
    expect(open(p).fd).toBe(6);
    expect(open(p).fd).toBe(7);
    hs[0].close();
    expect(hs[0].dup.bind(hs[0])).toThrow(/EBADF|closed/);
    expect(hs[2].dup().fd).toBe(3);
  });

  it("lowest-free allocation matches a naive scan over any open/close sequence", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(64)), { maxLength: 300 }), (ops) => {
        const p = new Process();
        const live: FileHandle[] = [];
        const used = new Set<number>();
        for (const [doOpen, k] of ops) {
          if (doOpen || live.length === 0) {
            let want = 3;
            while (used.has(want)) want++;
            const h = open(p);
            expect(h.fd).toBe(want);
            used.add(h.fd);
            live.push(h);
          } else {
            const [h] = live.splice(k % live.length, 1);
            h.close();
            used.delete(h.fd);
          }
          expect(p.openCount()).toBe(used.size);
        }
      }),
    );
  });
});
