/**
 * What a device backend registered in its VM (hcalls, RTAS calls, its IrqChip ...), undone in
 * reverse order on release/destroy — or at once when create fails half-way, so a refused
 * KVM_CREATE_DEVICE leaves nothing behind.
 */
export class Teardown {
  private steps: Array<() => void> = [];

  /** Records how to undo one registration. */
  add(undo: () => void): void {
    this.steps.push(undo);
  }

  /** Runs `setup`; if it throws, undoes what it registered and rethrows. */
  guard(setup: () => void): void {
    try {
      setup();
    } catch (e) {
      this.run();
      throw e;
    }
  }

  /** Undoes every registration, most recent first; running it twice undoes nothing twice. */
  run(): void {
    const steps = this.steps;
    this.steps = [];
    for (let i = steps.length - 1; i >= 0; i--) steps[i]();
  }
}
