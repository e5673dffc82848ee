/**
 * The cascaded 8259A pair as KVM models it (arch/x86/kvm/i8259.c; spec §4). State lives in
 * two 16-byte `Uint8Array`s in `struct kvm_pic_state` layout, so KVM_GET/SET_IRQCHIP copy
 * bytes and nothing is allocated per interrupt.
 */
import { PIC_MASTER_ELCR_MASK, PIC_SLAVE_ELCR_MASK } from "./constants.js";

// struct kvm_pic_state field offsets.
export const PIC_LAST_IRR = 0;
export const PIC_IRR = 1;
export const PIC_IMR = 2;
export const PIC_ISR = 3;
export const PIC_PRIORITY_ADD = 4;
export const PIC_IRQ_BASE = 5;
export const PIC_READ_REG_SELECT = 6;
export const PIC_POLL = 7;
export const PIC_SPECIAL_MASK = 8;
export const PIC_INIT_STATE = 9;
export const PIC_AUTO_EOI = 10;
export const PIC_ROTATE_ON_AUTO_EOI = 11;
export const PIC_SFNM = 12;
export const PIC_INIT4 = 13;
export const PIC_ELCR = 14;
export const PIC_ELCR_MASK = 15;

export interface PicHost {
  /** kvm_notify_acked_irq for (irqchip `chip`, pin `pin` 0..7), PIC lock dropped. */
  picAck(chip: number, pin: number): void;
  /** The master's output changed (rising: kick the first vCPU accepting PIC interrupts). */
  picOutput(output: boolean): void;
  /** Whether some vCPU accepts PIC interrupts (ICW1's edge-ISR clearing needs it). */
  picAccepted(): boolean;
}

const NONE = -1;

export class I8259Pair {
  /** chips[0] master, chips[1] slave: struct kvm_pic_state bytes. */
  readonly chips: [Uint8Array, Uint8Array] = [new Uint8Array(16), new Uint8Array(16)];
  /** Source bitmaps per internal pin 0..15 (slave pin p is 8+p). */
  readonly irqStates = new Uint32Array(16);
  output = false;
  /** Counters. */
  inta = 0;
  spurious = 0;

  constructor(private readonly host: PicHost) {
    this.chips[0][PIC_ELCR_MASK] = PIC_MASTER_ELCR_MASK;
    this.chips[1][PIC_ELCR_MASK] = PIC_SLAVE_ELCR_MASK;
  }

  /** kvm_pic_set_irq: internal pin 0..15, effective level from the source bitmap. */
  setIrq(pin: number, level: number, sourceId: number): number {
    if (!(pin >= 0 && pin < 16) || !(sourceId >= 0 && sourceId < 32)) return -1;
    const bit = 1 << sourceId;
    const st = level !== 0 ? this.irqStates[pin] | bit : this.irqStates[pin] & ~bit;
    this.irqStates[pin] = st;
    const r = this.pinSet(pin >> 3, pin & 7, st !== 0 ? 1 : 0);
    this.update();
    return r;
  }

  /** pic_set_irq1 + the IMR rule of pic_set_irq. */
  private pinSet(c: number, p: number, level: number): number {
    const s = this.chips[c];
    const m = 1 << p;
    let r = 1;
    if (s[PIC_ELCR] & m) {
      if (level) {
        r = s[PIC_IRR] & m ? 0 : 1;
        s[PIC_IRR] |= m;
        s[PIC_LAST_IRR] |= m;
      } else {
        s[PIC_IRR] &= ~m;
        s[PIC_LAST_IRR] &= ~m;
      }
    } else if (level) {
      if ((s[PIC_LAST_IRR] & m) === 0) {
        r = s[PIC_IRR] & m ? 0 : 1;
        s[PIC_IRR] |= m;
      }
      s[PIC_LAST_IRR] |= m;
    } else {
      s[PIC_LAST_IRR] &= ~m;
    }
    return s[PIC_IMR] & m ? -1 : r;
  }

  private prio(c: number, mask: number): number {
    if (mask === 0) return 8;
    const add = this.chips[c][PIC_PRIORITY_ADD];
    let k = 0;
    while ((mask & (1 << ((k + add) & 7))) === 0) k++;
    return k;
  }

  /** pic_get_irq: the pin this chip would present, or NONE. */
  getIrq(c: number): number {
    const s = this.chips[c];
    const k = this.prio(c, s[PIC_IRR] & ~s[PIC_IMR]);
    if (k === 8) return NONE;
    let isr = s[PIC_ISR];
    if (c === 0 && s[PIC_SFNM]) isr &= ~(1 << 2);
    const cur = this.prio(c, isr);
    return k < cur ? (k + s[PIC_PRIORITY_ADD]) & 7 : NONE;
  }

  /** pic_update_irq. */
  update(): void {
    if (this.getIrq(1) !== NONE) {
      this.pinSet(0, 2, 1);
      this.pinSet(0, 2, 0);
    }
    const out = this.getIrq(0) !== NONE;
    const was = this.output;
    this.output = out;
    if (out !== was) this.host.picOutput(out);
  }

  private clearIsr(c: number, p: number): void {
    this.chips[c][PIC_ISR] &= ~(1 << p);
    this.host.picAck(c, p);
  }

  private intack(c: number, p: number): void {
    const s = this.chips[c];
    s[PIC_ISR] |= 1 << p;
    if ((s[PIC_ELCR] & (1 << p)) === 0) s[PIC_IRR] &= ~(1 << p);
    if (s[PIC_AUTO_EOI]) {
      if (s[PIC_ROTATE_ON_AUTO_EOI]) s[PIC_PRIORITY_ADD] = (p + 1) & 7;
      this.clearIsr(c, p);
    }
  }

  /** kvm_pic_read_irq: the INTA cycle; returns the vector. */
  readIrq(): number {
    const m = this.chips[0];
    const p = this.getIrq(0);
    let vector: number;
    if (p === NONE) {
      this.spurious++;
      vector = (m[PIC_IRQ_BASE] + 7) & 0xff;
    } else {
      this.inta++;
      this.intack(0, p);
      if (p === 2) {
        let q = this.getIrq(1);
        if (q !== NONE) this.intack(1, q);
        else q = 7;
        vector = (this.chips[1][PIC_IRQ_BASE] + q) & 0xff;
      } else {
        vector = (m[PIC_IRQ_BASE] + p) & 0xff;
      }
    }
    this.update();
    return vector;
  }

  /** Guest port write: `c` chip, `reg` 0/1 (port & 1). */
  ioportWrite(c: number, reg: number, v: number): void {
    const s = this.chips[c];
    v &= 0xff;
    if (reg === 0) {
      if (v & 0x10) {
        // ICW1: reset.
        s[PIC_INIT4] = v & 1;
        const edge = s[PIC_IRR] & ~s[PIC_ELCR];
        s[PIC_LAST_IRR] = 0;
        s[PIC_IRR] &= s[PIC_ELCR];
        s[PIC_IMR] = 0;
        s[PIC_PRIORITY_ADD] = 0;
        s[PIC_SPECIAL_MASK] = 0;
        s[PIC_READ_REG_SELECT] = 0;
        if (!s[PIC_INIT4]) {
          s[PIC_SFNM] = 0;
          s[PIC_AUTO_EOI] = 0;
        }
        s[PIC_INIT_STATE] = 1;
        if (this.host.picAccepted()) {
          for (let p = 0; p < 8; p++) if (edge & (1 << p)) this.clearIsr(c, p);
        }
      } else if (v & 0x08) {
        // OCW3.
        if (v & 0x04) s[PIC_POLL] = 1;
        if (v & 0x02) s[PIC_READ_REG_SELECT] = v & 1;
        if (v & 0x40) s[PIC_SPECIAL_MASK] = (v >> 5) & 1;
      } else {
        const cmd = v >> 5;
        switch (cmd) {
          case 0:
          case 4:
            s[PIC_ROTATE_ON_AUTO_EOI] = cmd >> 2;
            break;
          case 1:
          case 5: {
            const k = this.prio(c, s[PIC_ISR]);
            if (k !== 8) {
              const p = (k + s[PIC_PRIORITY_ADD]) & 7;
              if (cmd === 5) s[PIC_PRIORITY_ADD] = (p + 1) & 7;
              this.clearIsr(c, p);
              this.update();
            }
            break;
          }
          case 3:
            this.clearIsr(c, v & 7);
            this.update();
            break;
          case 6:
            s[PIC_PRIORITY_ADD] = (v + 1) & 7;
            this.update();
            break;
          case 7: {
            const p = v & 7;
            s[PIC_PRIORITY_ADD] = (p + 1) & 7;
            this.clearIsr(c, p);
            this.update();
            break;
          }
          default:
            break;
        }
      }
      return;
    }
    switch (s[PIC_INIT_STATE]) {
      case 0:
        s[PIC_IMR] = v;
        this.update();
        break;
      case 1:
        s[PIC_IRQ_BASE] = v & 0xf8;
        s[PIC_INIT_STATE] = 2;
        break;
      case 2:
        s[PIC_INIT_STATE] = s[PIC_INIT4] ? 3 : 0;
        break;
      case 3:
        s[PIC_SFNM] = (v >> 4) & 1;
        s[PIC_AUTO_EOI] = (v >> 1) & 1;
        s[PIC_INIT_STATE] = 0;
        break;
      default:
        // A state KVM_SET_IRQCHIP planted outside 0..3: pic_ioport_write's switch ignores it.
        break;
    }
  }

  /** Guest port read. */
  ioportRead(c: number, reg: number): number {
    const s = this.chips[c];
    if (s[PIC_POLL]) {
      s[PIC_POLL] = 0;
      return this.poll(c);
    }
    if (reg === 0) return s[PIC_READ_REG_SELECT] ? s[PIC_ISR] : s[PIC_IRR];
    return s[PIC_IMR];
  }

  /** pic_poll_read. */
  private poll(c: number): number {
    const s = this.chips[c];
    const p = this.getIrq(c);
    if (p === NONE) {
      this.update();
      return 7;
    }
    if (c === 1) {
      this.chips[0][PIC_ISR] &= ~(1 << 2);
      this.chips[0][PIC_IRR] &= ~(1 << 2);
    }
    s[PIC_IRR] &= ~(1 << p);
    this.clearIsr(c, p);
    if (!(c === 0 && p === 2)) this.update();
    return p;
  }

  elcrWrite(c: number, v: number): void {
    const s = this.chips[c];
    s[PIC_ELCR] = v & s[PIC_ELCR_MASK];
  }

  elcrRead(c: number): number {
    return this.chips[c][PIC_ELCR];
  }

  /** KVM_SET_IRQCHIP of one chip: 16 bytes verbatim, then update. */
  setState(c: number, bytes: Uint8Array): void {
    this.chips[c].set(bytes.subarray(0, 16));
    this.update();
  }

  /**
   * The saved words back exactly, without pic_update_irq (restoreX86 only). KVM_SET_IRQCHIP's
   * update pulses the cascade pin (IRQ2 on the master) when the slave has a request, which can
   * latch an IRQ2 edge the source VM had already consumed; a snapshot restore puts the words
   * back as they were saved so the VM continues exactly as the original.
   */
  restoreWords(c: number, bytes: Uint8Array): void {
    this.chips[c].set(bytes.subarray(0, 16));
  }
}
