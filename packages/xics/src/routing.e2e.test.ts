/**
 * End to end through @irqlab/routing: irqfd (edge and RESAMPLE) -> XICS -> H_XIRR -> H_EOI
 * -> ack notifier -> resamplefd, with the identity GSI mapping of book3s.
 */
import { describe, expect, it } from "vitest";
import { KVM_IRQ_ROUTING_IRQCHIP, createVm, KVM_CAP_IRQ_XICS, encodeU64 } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting, KVM_IRQFD_FLAG_RESAMPLE } from "@irqlab/routing";
import xicsModule, { H_CPPR, H_EOI, H_XIRR, KVM_DEV_XICS_GRP_SOURCES, encodeSourceWord } from "./index.js";
import { getSource, icpWord } from "./test-support.js";

const LSI = 0x1002;
const MSI = 0x1000;

function setup(strict = false) {
  const vm = createVm({ arch: "ppc64", vcpus: 2, strict, modules: [routingModule, xicsModule] });
  const dev = vm.createDevice(3);
  for (const v of vm.vcpus) v.enableCap(KVM_CAP_IRQ_XICS, [dev, v.id]);
  dev.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: MSI, addr: encodeU64(encodeSourceWord({ server: 0, priority: 5 })) });
  dev.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: LSI, addr: encodeU64(encodeSourceWord({ server: 0, priority: 5, levelSensitive: true })) });
  const v0 = vm.vcpus[0];
  v0.hcall(H_CPPR, 0xff);
  return { vm, dev, v0, routing: vm.get(GsiRouting) };
}

describe.each([false, true])("irqfd -> XICS -> H_XIRR -> H_EOI -> resamplefd (strict=%s)", (strict) => {
  it("resample irqfd on a level source: EE up, accepted, EOI -> resamplefd 1 and the line de-asserted", () => {
    const { vm, dev, v0, routing } = setup(strict);
    const efd = EventFd.create();
    const rfd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: LSI, flags: KVM_IRQFD_FLAG_RESAMPLE, resamplefd: rfd });
    efd.write(1);
    expect(v0.ext.asserted).toBe(true);
    expect(getSource(dev, LSI)).toMatchObject({ pending: true, presented: true });
    expect(v0.hcall(H_XIRR)).toBe(0);
    expect(v0.hret[0]).toBe(0xff000000 + LSI);
    expect(rfd.counter).toBe(0);
    expect(v0.hcall(H_EOI, v0.hret[0])).toBe(0);
    expect(rfd.counter).toBe(1);
    expect(getSource(dev, LSI)).toMatchObject({ pending: false, presented: false });
    // KVM's ics_eoi re-delivers a still-asserted LSI before it runs the ack notifiers, so the
    // source sits in XISR once more although the resampler has dropped the line.
    expect(icpWord(v0)).toEqual({ cppr: 0xff, xisr: LSI, mfrr: 0xff, pendingPri: 5 });
    expect(v0.ext.asserted).toBe(true);
    v0.hcall(H_XIRR);
    v0.hcall(H_EOI, v0.hret[0]); // P is clear now: nothing re-delivered; the ack signals again
    expect(rfd.counter).toBe(2);
    expect(icpWord(v0).xisr).toBe(0);
    expect(v0.ext.asserted).toBe(false);
    // the device re-signals: delivered again
    efd.write(1);
    expect(v0.ext.asserted).toBe(true);
    expect(vm.get(GsiRouting)).toBe(routing);
  });

  it("edge irqfd on an MSI source: delivered once, acked on EOI, nothing re-presented", () => {
    const { v0, routing, vm } = setup(strict);
    const acks: number[] = [];
    vm.ackNotifiers.subscribe((_c, pin) => acks.push(pin));
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: MSI });
    efd.write(1);
    efd.write(1); // coalesced: Q while presented
    expect(v0.ext.asserted).toBe(true);
    v0.hcall(H_XIRR);
    expect(v0.hret[0]).toBe(0xff001000);
    v0.hcall(H_EOI, v0.hret[0]);
    expect(acks).toEqual([MSI]);
    expect(icpWord(v0).xisr).toBe(MSI); // P|Q -> P: presented once more
    v0.hcall(H_XIRR);
    v0.hcall(H_EOI, v0.hret[0]);
    expect(icpWord(v0).xisr).toBe(0);
    expect(v0.ext.asserted).toBe(false);
  });

  it("eventfd coalescing (pitfall): any number of irqfd writes while an MSI is in service make exactly one more presentation (Q)", () => {
    const { v0, routing, dev } = setup(strict);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: MSI });
    efd.write(1);
    v0.hcall(H_XIRR); // in service: P
    for (let i = 0; i < 5; i++) efd.write(1);
    expect(getSource(dev, MSI)).toMatchObject({ presented: true, queued: true });
    expect(v0.ext.asserted).toBe(false);
    let presentations = 0;
    v0.hcall(H_EOI, v0.hret[0]);
    while (icpWord(v0).xisr === MSI) {
      presentations++;
      v0.hcall(H_XIRR);
      v0.hcall(H_EOI, v0.hret[0]);
    }
    expect(presentations).toBe(1);
    expect(getSource(dev, MSI)).toMatchObject({ presented: false, queued: false });
  });

  it("interrupt storm (pitfall): a level line never de-asserted is re-presented once per EOI; ibm,int-off stops it, ibm,int-on resumes it", () => {
    const { v0, routing, dev } = setup(strict);
    routing.irqLine(LSI, 1);
    for (let i = 0; i < 3; i++) {
      v0.hcall(H_XIRR);
      expect(v0.hret[0]).toBe(0xff000000 + LSI);
      v0.hcall(H_EOI, v0.hret[0]);
      expect(icpWord(v0).xisr).toBe(LSI); // exactly one re-presentation per EOI
    }
    v0.hcall(H_XIRR);
    expect(v0.rtas("ibm,int-off", [LSI], 1)).toEqual([0]);
    v0.hcall(H_EOI, v0.hret[0]); // re-delivery finds the source masked: kept as masked-pending
    expect(icpWord(v0).xisr).toBe(0);
    expect(v0.ext.asserted).toBe(false);
    expect(getSource(dev, LSI)).toMatchObject({ masked: true, pending: true });
    expect(v0.rtas("ibm,int-on", [LSI], 1)).toEqual([0]);
    expect(icpWord(v0).xisr).toBe(LSI);
    routing.irqLine(LSI, 0); // the device finally drops the line: the EOI ends the storm
    v0.hcall(H_XIRR);
    v0.hcall(H_EOI, v0.hret[0]);
    expect(icpWord(v0).xisr).toBe(0);
    expect(v0.ext.asserted).toBe(false);
  });

  it("KVM_IRQ_LINE reaches the source with the same number (identity GSI mapping)", () => {
    const { v0, routing, dev } = setup(strict);
    expect(routing.irqLine(LSI, 1)).toBe(0);
    expect(v0.ext.asserted).toBe(true);
    routing.irqLine(LSI, 0);
    expect(getSource(dev, LSI).presented).toBe(false);
  });
});

describe("irqfd through an explicit routing table (generalised mode)", () => {
  it("an IRQCHIP route from GSI 1 to a source in the last block", () => {
    const { vm, dev, v0, routing } = setup(false);
    const irq = 0xfffff;
    dev.setAttr({ group: KVM_DEV_XICS_GRP_SOURCES, attr: irq, addr: encodeU64(encodeSourceWord({ server: 1, priority: 5 })) });
    vm.vcpus[1].hcall(H_CPPR, 0xff);
    routing.setGsiRouting([{ gsi: 1, type: KVM_IRQ_ROUTING_IRQCHIP, flags: 0, irqchip: 0, pin: irq }]);
    const efd = EventFd.create();
    routing.irqfd({ fd: efd, gsi: 1 });
    efd.write(1);
    expect(vm.vcpus[1].ext.asserted).toBe(true);
    expect(v0.ext.asserted).toBe(false);
    vm.vcpus[1].hcall(H_XIRR);
    expect(vm.vcpus[1].hret[0]).toBe(0xff000000 + irq);
  });
});
