/**
 * Behaviour profiles. Linux KVM is the reference; another implementation of the same
 * controller (QEMU 7.2's user-space models, say) differs from it in named **quirks**. A
 * quirk is a switch read by the model (default off = KVM's behaviour); a **profile** is a
 * named set of quirks. Both are data a plugin contributes through `ProfileContribution`:
 * core knows no controller and no quirk by name. Profiles of the same name from several
 * plugins merge (each plugin adds its own controller's quirks to "qemu-7.2").
 *
 *   createVm({ profile: "qemu-7.2" })            a named profile (default "kvm": no quirk)
 *   createVm({ profile: { quirks: ["x.y"] } })   an explicit quirk set (--explain toggles)
 *   device create: quirksOf(ctx.vm).has("x.y")  read once, kept as a boolean field
 */
import { Container, type ContainerModule } from "inversify";
import { Errno, fail } from "./kvm-error.js";
import type { Vm } from "./vm.js";

/** One KVM-vs-other difference, as a switch of the model. */
export interface QuirkDeclaration {
  /** Stable id, "<family>.<what>", e.g. "xics.cppr-after-empty-xirr". */
  readonly id: string;
  /** Controller family it belongs to ("xics", "mpic", ...), for listings. */
  readonly controller: string;
  /** One line: what the switch changes. */
  readonly summary: string;
  /** KVM's behaviour (quirk off), with its reference (spec section, kernel source). */
  readonly kvm: string;
  /** The other implementation's behaviour (quirk on), with its reference (source file, function). */
  readonly other: string;
}

export interface ProfileDeclaration {
  /** "qemu-7.2". The name "kvm" is reserved for the empty profile. */
  readonly name: string;
  readonly description: string;
  /** Ids of the quirks this profile turns on (declared by any loaded plugin). */
  readonly quirks: readonly string[];
}

/** Multi-injection token: what a plugin declares (bind with toConstantValue). */
export const ProfileContribution = Symbol.for("irqlab.ProfileContribution");
export interface ProfileContribution {
  readonly quirks: readonly QuirkDeclaration[];
  readonly profiles?: readonly ProfileDeclaration[];
}

/** The reference profile: every quirk off. */
export const KVM_PROFILE = "kvm";

/** What createVm takes: a profile name, or an explicit set of quirks. */
export type ProfileOption = string | { readonly name?: string; readonly quirks: readonly string[] };

/** Every quirk and profile the given contributions declare (profiles of one name merged). */
export class ProfileCatalogue {
  readonly quirks: readonly QuirkDeclaration[];
  readonly profiles: readonly ProfileDeclaration[];
  private readonly byId = new Map<string, QuirkDeclaration>();

  constructor(contributions: readonly ProfileContribution[]) {
    const quirks: QuirkDeclaration[] = [];
    const profiles = new Map<string, { description: string; quirks: Set<string> }>();
    profiles.set(KVM_PROFILE, { description: "Linux KVM (the reference): no quirk", quirks: new Set() });
    for (const c of contributions) {
      for (const q of c.quirks ?? []) {
        if (this.byId.has(q.id)) continue;
        this.byId.set(q.id, q);
        quirks.push(q);
      }
      for (const p of c.profiles ?? []) {
        if (p.name === KVM_PROFILE) continue;
        const e = profiles.get(p.name) ?? { description: p.description, quirks: new Set<string>() };
        for (const id of p.quirks) e.quirks.add(id);
        profiles.set(p.name, e);
      }
    }
    this.quirks = quirks;
    this.profiles = [...profiles].map(([name, e]) => ({ name, description: e.description, quirks: [...e.quirks] }));
  }

  quirk(id: string): QuirkDeclaration | undefined {
    return this.byId.get(id);
  }

  profile(name: string): ProfileDeclaration | undefined {
    return this.profiles.find((p) => p.name === name);
  }

  /** The quirk set an option selects; EINVAL for an unknown profile or quirk. */
  resolve(option: ProfileOption | undefined): Quirks {
    if (option === undefined) return new Quirks(KVM_PROFILE, new Set(), this);
    if (typeof option === "string") {
      const p = this.profile(option);
      if (!p) fail(Errno.EINVAL, `unknown profile ${JSON.stringify(option)} (known: ${this.profiles.map((x) => x.name).join(", ")})`);
      for (const id of p.quirks) if (!this.byId.has(id)) fail(Errno.EINVAL, `profile ${p.name} names undeclared quirk ${id}`);
      return new Quirks(p.name, new Set(p.quirks), this);
    }
    if (typeof option !== "object" || option === null || !Array.isArray(option.quirks)) {
      fail(Errno.EINVAL, "profile must be a profile name or { quirks: string[] }");
    }
    for (const id of option.quirks) {
      if (typeof id !== "string" || !this.byId.has(id)) fail(Errno.EINVAL, `unknown quirk ${JSON.stringify(id)}`);
    }
    return new Quirks(typeof option.name === "string" ? option.name : "custom", new Set(option.quirks), this);
  }
}

/** The quirks active in one VM (DI token `QuirksToken`; models read it once at creation). */
export class Quirks {
  constructor(
    /** The profile's name ("kvm", "qemu-7.2", "custom"). */
    readonly profile: string,
    private readonly on: ReadonlySet<string>,
    readonly catalogue: ProfileCatalogue,
  ) {}

  has(id: string): boolean {
    return this.on.has(id);
  }

  /** The active quirk ids. */
  list(): string[] {
    return [...this.on];
  }
}

export const QuirksToken = Symbol.for("irqlab.Quirks");

/** The VM's active quirks (a VM built without createVm's hook has none). */
export function quirksOf(vm: Vm): Quirks {
  try {
    return vm.get<Quirks>(QuirksToken);
  } catch {
    return new ProfileCatalogue([]).resolve(undefined);
  }
}

/** Collects the ProfileContributions bound in a container. */
export function catalogueOf(container: Container): ProfileCatalogue {
  return new ProfileCatalogue(container.isBound(ProfileContribution) ? container.getAll<ProfileContribution>(ProfileContribution) : []);
}

/** The quirks and profiles a set of plugin modules declares (no VM created). */
export function profileCatalogue(modules: readonly ContainerModule[]): ProfileCatalogue {
  const c = new Container({ defaultScope: "Singleton" });
  c.load(...modules);
  return catalogueOf(c);
}
