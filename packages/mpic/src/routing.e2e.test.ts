/**
 * End to end through @irqlab/routing: GSI routing, KVM_IRQ_LINE(_STATUS), KVM_SIGNAL_MSI and
 * irqfd with resample, down to the MPIC and back through EOI -> ack notifiers -> resamplefd.
 */
import { describe, expect, it } from "vitest";
import { createVm, Errno, KVM_CAP_IRQ_MPIC, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQ_ROUTING_MSI, type Vm } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import mpicModule from "./module.js";
import { mpic42GuestDriver } from "./guest-driver.js";
import { expectErrno } from "./__tests__/helpers.js";
import { readMpicRegister, writeMpicRegister, setMpicIrqActive, getMpicIrqActive } from "./attributes.js";
import { cpuReg, srcIdr, srcIvpr } from "./constants.js";

const irqchip = (gsi: number, pin: number) => ({ gsi, flags: 0, type: KVM_IRQ_ROUTING_IRQCHIP, irqchip: 0, pin }) as const;
const msi = (gsi: number, data: number) =>
  ({ gsi, flags: 0, type: KVM_IRQ_ROUTING_MSI, msi: { addressLo: 0xe0041740, addressHi: 0, data, flags: 0, devid: 0 } }) as const;

function booke(vcpus = 1): { vm: Vm; routing: GsiRouting } {
  const vm = createVm({ arch: "ppc-booke", vcpus, modules: [routingModule, mpicModule] });
  return { vm, routing: vm.get(GsiRouting) };
}

/** MPIC with CPU 0 attached, reset, CTPR 0, QEMU's 256 identity routes. */
function withMpic(vcpus = 1) {
  const t = booke(vcpus);
  const h = t.vm.createDevice(2);
  for (const v of t.vm.vcpus) v.enableCap(KVM_CAP_IRQ_MPIC, [h, v.id]);
  writeMpicRegister(h, 0x1020, 0x80000000);
  for (const v of t.vm.vcpus) writeMpicRegister(h, cpuReg(v.id, 0x80), 0);
  t.routing.setGsiRouting(Array.from({ length: 256 }, (_, i) => irqchip(i, i)));
  return { ...t, h, get: (o: number) => readMpicRegister(h, o), set: (o: number, v: number) => writeMpicRegister(h, o, v) };
}

describe("MPIC through @irqlab/routing", () => {
  it("[mpic-29] creating the MPIC replaces an installed routing table with an empty one", () => {
    const { vm, routing } = booke();
    // a table can be installed before any controller exists on e500
    routing.setGsiRouting([msi(5, 0x01000000)]);
    expect(routing.getGsiRouting()).toHaveLength(1);
    vm.createDevice(1);
    expect(routing.getGsiRouting()).toEqual([]);
    expect(routing.irqLineStatus(5, 1)).toBe(-1);
  });

  it("a refused second KVM_CREATE_DEVICE (EINVAL, one MPIC per VM) leaves the installed routing table alone", () => {
    const t = withMpic();
    expectErrno(() => t.vm.createDevice(1), Errno.EINVAL);
    expectErrno(() => t.vm.createDevice(2), Errno.EINVAL);
    expect(t.routing.getGsiRouting()).toHaveLength(256);
    expect(t.routing.irqLineStatus(3, 1)).toBe(0);
  });

  it("[mpic-30] a route to pin 256 is EINVAL; KVM_IRQ_LINE_STATUS on a GSI routed to pin 3 is 0", () => {
    const t = withMpic();
    expectErrno(() => t.routing.setGsiRouting([irqchip(1, 256)]), Errno.EINVAL);
    expect(t.routing.getGsiRouting()).toHaveLength(256);
    t.set(srcIdr(3), 1);
    t.set(srcIvpr(3), 0x00050043);
    expect(t.routing.irqLineStatus(3, 1)).toBe(0);
    expect(t.vm.vcpus[0].ext.asserted).toBe(true);
    expect(t.routing.irqLineStatus(3, 0)).toBe(0);
    t.routing.setGsiRouting([]);
    expect(t.routing.irqLineStatus(3, 1)).toBe(-1);
  });

  it("[mpic-21] resample irqfd on GSI 7: IACK, EOI -> line de-asserted and resamplefd incremented", () => {
    const t = withMpic();
    t.set(srcIdr(7), 1);
    t.set(srcIvpr(7), 0x00c50077); // level (S), positive, priority 5, vector 0x77
    const efd = EventFd.create();
    const rfd = EventFd.create();
    t.routing.irqfd({ fd: efd, gsi: 7, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(getMpicIrqActive(t.h, 7)).toBe(1);
    expect(t.vm.vcpus[0].ext.asserted).toBe(true);
    expect(t.get(cpuReg(0, 0xa0))).toBe(0x77);
    expect(rfd.counter).toBe(0);
    t.set(cpuReg(0, 0xb0), 0);
    expect(rfd.counter).toBe(1);
    expect(getMpicIrqActive(t.h, 7)).toBe(0);
    expect(t.vm.vcpus[0].ext.asserted).toBe(false);
    expect(t.get(cpuReg(0, 0xa0))).toBe(0xffff);
  });

  it("a plain irqfd on an edge source pulses it (e500 has no atomic fast path); the edge is latched", () => {
    const t = withMpic();
    t.set(srcIdr(3), 1);
    t.set(srcIvpr(3), 0x00050043);
    const efd = EventFd.create();
    t.routing.irqfd({ fd: efd, gsi: 3 });
    efd.write(1);
    expect(getMpicIrqActive(t.h, 3)).toBe(1);
    expect(t.get(cpuReg(0, 0xa0))).toBe(0x43);
  });

  it("[mpic-24] an MSI route with data 0x03000000 sets MSIR0 bit 3; level 0 on an MSI GSI also fires", () => {
    const t = withMpic();
    t.set(srcIdr(224), 1);
    t.set(srcIvpr(224), 0x000500e0);
    t.routing.setGsiRouting([msi(300, 0x03000000), msi(301, 0x04000000)]);
    expect(t.routing.irqLineStatus(300, 1)).toBe(0);
    expect(t.vm.vcpus[0].ext.asserted).toBe(true);
    expect(t.get(0x1720)).toBe(1);
    t.routing.irqLine(301, 0);
    expect(t.get(0x1600)).toBe(0x18);
    expect(t.get(0x1600)).toBe(0);
    expect(getMpicIrqActive(t.h, 224)).toBe(0);
    expect(t.get(0x1720)).toBe(0);
    expect(t.routing.signalMsi({ addressLo: 0, addressHi: 0, data: 0x1f000000 })).toBe(0);
    expect(t.get(0x1600)).toBe(0x80000000);
  });

  it("[mpic-31] after the descriptor is closed, routed injections still reach the vCPU", () => {
    const t = withMpic();
    t.set(srcIdr(3), 1);
    t.set(srcIvpr(3), 0x00050043);
    t.h.close();
    expect(t.routing.irqLineStatus(3, 1)).toBe(0);
    expect(t.vm.vcpus[0].ext.asserted).toBe(true);
    expectErrno(() => t.vm.createDevice(2), Errno.EINVAL);
  });

  it("the guest driver with level irqfds + resample: every signal is handled once and re-armed", () => {
    const { vm, routing } = booke(2);
    const d = mpic42GuestDriver.attach(vm);
    const lvl = d.configureSource({ index: 0, trigger: "level", vcpu: 1 });
    const edge = d.configureSource({ index: 1, trigger: "edge", vcpu: 1 });
    expect(lvl.type).toBe("irqchip");
    expect(edge.type).toBe("msi");
    routing.setGsiRouting([
      irqchip(10, lvl.type === "irqchip" ? lvl.pin : -1),
      { gsi: 11, flags: 0, type: KVM_IRQ_ROUTING_MSI, msi: edge.type === "msi" ? edge.msi : (null as never) },
    ]);
    const e10 = EventFd.create();
    const r10 = EventFd.create();
    const e11 = EventFd.create();
    routing.irqfd({ fd: e10, gsi: 10, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: r10 });
    routing.irqfd({ fd: e11, gsi: 11 });
    const seen: number[] = [];
    for (let round = 0; round < 5; round++) {
      e10.write(1);
      e11.write(1);
      expect(vm.vcpus[1].ext.asserted).toBe(true);
      // one source per external exception, the exception taken again while the line is up
      expect(d.service(vm.vcpus[1], (s) => seen.push(s))).toBe(1);
      expect(vm.vcpus[1].ext.asserted).toBe(true);
      expect(d.service(vm.vcpus[1], (s) => seen.push(s))).toBe(1);
      expect(vm.vcpus[1].ext.asserted).toBe(false);
    }
    expect(seen).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(r10.counter).toBe(5);
    expect(vm.vcpus[0].ext.raises).toBe(0);
  });

  it("IRQ_ACTIVE and routed injections drive the same single input (source ids are ignored)", () => {
    const t = withMpic();
    t.set(srcIdr(20), 1);
    t.set(srcIvpr(20), 0x00050050);
    t.routing.irqLine(20, 1);
    setMpicIrqActive(t.h, 20, 0);
    expect(t.vm.vcpus[0].ext.asserted).toBe(false);
    t.routing.irqLine(20, 2);
    expect(getMpicIrqActive(t.h, 20)).toBe(2);
  });
});
