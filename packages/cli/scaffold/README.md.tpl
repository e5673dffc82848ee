# __PACKAGE__

toy8: an 8-pin interrupt controller for irqlab, `KVM_DEV_TYPE_TOY8` (__DEVICE_TYPE__),
"kvm-toy8", for `__ARCH__` VMs. Scaffolded by `irqlab new-controller toy8`; the guide is
`docs/writing-a-controller.md` in the irqlab repository. Reference: *fill in: the Linux
file(s) and spec digest your model follows*.

```
routing ── IRQCHIP pin 0..7 ──> SRC_CFG[p] (enable, level, target) ── presentable? ──> vcpu.ext
guest:  ACK read (claims IPI or lowest pin) -> handler -> EOI write -> ack notifiers (level)
```

## Use

```ts
import { createVm, encodeU64 } from "@irqlab/core";
import routingModule, { EventFd, GsiRouting } from "@irqlab/routing";
import toy8Module, { KVM_DEV_TYPE_TOY8, KVM_DEV_TOY8_GRP_ADDR, TOY8_REG_ACK, toy8SrcCfg } from "__PACKAGE__";

const vm = createVm({ arch: "__ARCH__", vcpus: 2, modules: [routingModule, toy8Module] });
const dev = vm.createDevice(KVM_DEV_TYPE_TOY8);
dev.setAttr({ group: KVM_DEV_TOY8_GRP_ADDR, attr: 0, addr: encodeU64(0xd0000000, vm.endian) });
vm.vcpus[0].mmioWrite(0xd0000000 + toy8SrcCfg(3), 4, 0x101);   // pin 3: enabled, edge, vCPU 1
vm.get(GsiRouting).setGsiRouting([{ gsi: 5, type: 1, flags: 0, irqchip: 0, pin: 3 }]);
const efd = EventFd.create();
vm.get(GsiRouting).irqfd({ fd: efd, gsi: 5 });
efd.write(1);
vm.vcpus[1].ext.asserted;                                      // true
vm.vcpus[1].mmioRead(0xd0000000 + TOY8_REG_ACK, 4);            // 3
```

## Device attributes (`KVM_{SET,GET,HAS}_DEVICE_ATTR`)

| group | attr | payload (u64, VM byte order) | errno |
|---|---|---|---|
| 1 `KVM_DEV_TOY8_GRP_ADDR` | 0 | base address of the register block, 4 KiB aligned, set once | EFAULT short payload, EINVAL misaligned, EEXIST already set or overlapping, ENXIO other attr |
| 2 `KVM_DEV_TOY8_GRP_SOURCE` | pin 0..7 | bit 0 enable, 1 level, 2 pending, 3 in service, 8..15 target vCPU | EFAULT, EINVAL reserved bits or no such vCPU, ENXIO pin ≥ 8 |
| other | | | ENXIO |

*Fill in: every group your device has, with KVM's numbers and errnos.*

## Registers (trapped MMIO, offsets from the base)

| offset | name | access | meaning |
|---|---|---|---|
| `0x000 + 4p` | SRC_CFG[p] | rw | bit 0 enable, bit 1 level, bits 8..15 target vCPU |
| `0x040` | PENDING | r | bit p: pin p latched or asserted |
| `0x100` | ACK | r | IPI (8) first, else the lowest presentable pin targeted at the reader (now in service); 0xff spurious |
| `0x104` | EOI | w | ends pin p or the IPI (8); level pins run the ack notifiers |
| `0x108` | IPI | w | raises an IPI on the vCPU written |

## ONE_REG and vCPU capabilities

| id | size | meaning | errno |
|---|---|---|---|
| `KVM_REG_TOY8_CPU_STATE` | u64 | bit 0: IPI pending | EINVAL reserved bits |

No `KVM_ENABLE_CAP`: every vCPU is attached when the device is created (EBUSY if a vCPU is
already attached to another controller).

## Ioctls, hypercalls, RTAS, mapped pages

*Fill in (toy8 has none).*

## Metrics in `irqlab compare`

Exits per interrupt: one ACK read and one EOI write (2 trapped MMIO accesses); an IPI costs
one more write by the sender. *Fill in: every controller-specific figure your driver shows.*

## Where it differs from KVM

*Fill in: every deliberate difference, with the spec line or kernel source it departs from.*
toy8 is not a KVM device: it has no priorities (`SourceSpec.priority` is ignored) and takes
a device type number that a real kernel gives to another device.
