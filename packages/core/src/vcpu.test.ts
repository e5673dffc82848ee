import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createVm, errnoOf, Errno, KvmError, H_FUNCTION_UNHANDLED, KVM_REG_PPC, KVM_REG_SIZE_U128, KVM_REG_SIZE_U32, KVM_REG_SIZE_U64, oneRegSize, RTAS_UNHANDLED } from "./index.js";

const ID64 = KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x8cn;
const ID32 = KVM_REG_PPC | KVM_REG_SIZE_U32 | 0x10n;

describe("Vcpu", () => {
  it("interrupt lines notify listeners on change only and count raises", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1 });
    const v = vm.vcpus[0];
    const seen: boolean[] = [];
    const off = v.ext.onChange((l) => seen.push(l));
    v.ext.assert();
    v.ext.assert();
    v.ext.deassert();
    off();
    v.ext.assert();
    expect(seen).toEqual([true, false]);
    expect(v.ext.raises).toBe(2);
    expect(v.crit.asserted).toBe(false);
  });

  it("ONE_REG: unknown ids are ENOENT; values go through the UAPI buffer in the VM's byte order", () => {
    const vm = createVm({ arch: "s390x", vcpus: 1 });
    const v = vm.vcpus[0];
    let word = 0x0102030405060708n;
    v.oneReg.register(ID64, {
      name: "TEST",
      get: () => word,
      set: (x) => {
        if (x === 0n) throw Object.assign(new Error(), {});
        word = x;
      },
    });
    expect(oneRegSize(ID64)).toBe(8);
    expect(oneRegSize(ID32)).toBe(4);
    const buf = new Uint8Array(8);
    v.getOneReg(ID64, buf);
    expect(buf).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(errnoOf(() => v.getOneReg(ID32, buf))).toBe(Errno.ENOENT);
    expect(errnoOf(() => v.setOneReg(ID64, new Uint8Array(4)))).toBe(Errno.EFAULT);
    expect(errnoOf(() => v.getOneReg(ID64, null))).toBe(Errno.EFAULT);
    v.setOneReg(ID64, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 9]));
    expect(v.getOneRegU64(ID64)).toBe(9n);
    // get: the register's own error comes before the copy-out's EFAULT (KVM order).
    v.oneReg.register(ID32, { name: "NXIO", get: () => { throw new KvmError(Errno.ENXIO, "no ICP"); }, set: () => {} });
    expect(errnoOf(() => v.getOneReg(ID32, null))).toBe(Errno.ENXIO);
    expect(errnoOf(() => v.oneReg.register(ID64, { name: "dup", get: () => 0n, set: () => {} }))).toBe(Errno.EEXIST);
  });

  it("ONE_REG: 128-bit registers travel as two u64 words, word 0 first", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1 });
    const v = vm.vcpus[0];
    const ID128 = KVM_REG_PPC | KVM_REG_SIZE_U128 | 0x8dn;
    let word = 0n;
    v.oneReg.register(ID128, { name: "VP_STATE", get: () => word, set: (x) => void (word = x) });
    const buf = new Uint8Array(16);
    new DataView(buf.buffer).setBigUint64(0, 0x1111n, true);
    new DataView(buf.buffer).setBigUint64(8, 0x2222n, true);
    v.setOneReg(ID128, buf);
    expect(word).toBe((0x1111n << 64n) | 0x2222n);
    const out = new Uint8Array(16);
    v.getOneReg(ID128, out);
    expect(out).toEqual(buf);
    expect(errnoOf(() => v.setOneReg(ID128, new Uint8Array(8)))).toBe(Errno.EFAULT);
  });

  it("any unknown ONE_REG id is ENOENT and changes nothing", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 1 });
    const v = vm.vcpus[0];
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (id) => {
        expect(errnoOf(() => v.setOneReg(id, new Uint8Array(16)))).toBe(Errno.ENOENT);
        expect(errnoOf(() => v.getOneRegU64(id))).toBe(Errno.ENOENT);
      }),
      { numRuns: 200 },
    );
  });

  it("hypercalls and RTAS: registered handlers answer, unknown ones return the unhandled status", () => {
    const vm = createVm({ arch: "ppc64", vcpus: 2 });
    vm.hcalls.register(0x4, (vcpu, a0, a1) => {
      vcpu.hret[0] = a0 + a1;
      return 0;
    });
    vm.rtas.register("ibm,test", (_v, args, rets) => {
      rets[0] = 0;
      rets[1] = args[0] * 2;
    });
    expect(vm.vcpus[1].hcall(0x4, 2, 3)).toBe(0);
    expect(vm.vcpus[1].hret[0]).toBe(5);
    // up to eight argument registers (r4..r11) reach the handler
    vm.hcalls.register(0x8, (vcpu, a0, a1, a2, a3, a4, a5, a6, a7) => {
      vcpu.hret[0] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
      return 0;
    });
    expect(vm.vcpus[0].hcall(0x8, 1, 2, 3, 4, 5, 6, 7, 8)).toBe(0);
    expect(vm.vcpus[0].hret[0]).toBe(36);
    expect(vm.vcpus[0].hcall(0x9999)).toBe(H_FUNCTION_UNHANDLED);
    expect(vm.vcpus[0].rtas("ibm,test", [21], 2)).toEqual([0, 42]);
    expect(vm.vcpus[0].rtas("ibm,nope", [], 1)).toEqual([RTAS_UNHANDLED]);
    expect(vm.exitStats.snapshot()).toMatchObject({ hcalls: 3, rtasCalls: 2, exits: 5 });
    expect(errnoOf(() => vm.hcalls.register(0x4, () => 0))).toBe(Errno.EEXIST);
  });
});

describe("KVM_CREATE_VCPU after VM creation (Vm.createVcpu)", () => {
  it("appends the next vCPU, tells onVcpuCreated listeners, and stops at the 1024 limit", () => {
    const vm = createVm({ arch: "riscv64", vcpus: 2 });
    const seen: number[] = [];
    const off = vm.onVcpuCreated((v) => seen.push(v.id));
    const v = vm.createVcpu();
    expect(v.id).toBe(2);
    expect(vm.vcpus).toHaveLength(3);
    expect(vm.vcpu(2)).toBe(v);
    off();
    vm.createVcpu();
    expect(seen).toEqual([2]);
    const full = createVm({ arch: "riscv64", vcpus: 1024 });
    expect(errnoOf(() => full.createVcpu())).toBe(Errno.EINVAL);
    expect(full.vcpus).toHaveLength(1024);
    vm.destroy();
    expect(errnoOf(() => vm.createVcpu())).toBe(Errno.EIO);
  });
});
