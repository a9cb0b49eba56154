// What a chain's metadata says about each entry of CHAIN_USAGE: argument names and types for calls,
// hashers/key/value types for storage, inputs/output for runtime APIs. Comparing the description
// of two chains (finney's recorded metadata, the devnet's) shows any drift in what the project uses.
import type { ApiPromise } from '@polkadot/api';
import { CHAIN_USAGE, type ChainUse } from './usage.js';

export interface UsageDescription {
  /** "call Balances.transfer_keep_alive", "storage SubtensorModule.Keys", "runtimeApi NeuronInfoRuntimeApi.get_neurons_lite", … */
  id: string;
  found: boolean;
  optional: boolean;
  /** Call/runtime-API arguments: metadata name, Rust type name as written, resolved type. */
  args?: Array<{ name: string; typeName: string; type: string }>;
  /** Storage: hashers, key and value types; runtime API: output type. */
  hashers?: string[];
  key?: string;
  value?: string;
  output?: string;
  /** Pallet index and call index (calls only). */
  index?: [number, number];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export function usageId(u: ChainUse): string {
  return u.kind === 'runtimeApi' ? `runtimeApi ${u.api}.${u.method}` : `${u.kind} ${u.pallet}.${u.name}`;
}

/** Describe every entry of CHAIN_USAGE from `api`'s metadata (V14/V15; runtime APIs need V15). */
export function describeUsage(api: ApiPromise, usage: readonly ChainUse[] = CHAIN_USAGE): UsageDescription[] {
  const registry: Any = api.registry;
  const lookup = registry.lookup;
  const md: Any = registry.metadata;
  const ty = (id: Any) => lookup.getTypeDef(id).type as string;
  const pallet = (name: string) => md.pallets.find((p: Any) => p.name.toString() === name);
  return usage.map((u): UsageDescription => {
    const base = { id: usageId(u), optional: 'optional' in u ? Boolean(u.optional) : false };
    if (u.kind === 'call') {
      const p = pallet(u.pallet);
      if (!p || p.calls.isNone) return { ...base, found: false };
      const v = lookup.getSiType(p.calls.unwrap().type).def.asVariant.variants.find((x: Any) => x.name.toString() === u.name);
      if (!v) return { ...base, found: false };
      return {
        ...base,
        found: true,
        index: [p.index.toNumber(), v.index.toNumber()],
        args: v.fields.map((f: Any) => ({ name: f.name.unwrapOr('').toString(), typeName: f.typeName.unwrapOr('').toString(), type: ty(f.type) })),
      };
    }
    if (u.kind === 'storage') {
      const p = pallet(u.pallet);
      const e = p && p.storage.isSome ? p.storage.unwrap().items.find((x: Any) => x.name.toString() === u.name) : undefined;
      if (!e) return { ...base, found: false };
      if (e.type.isPlain) return { ...base, found: true, hashers: [], value: ty(e.type.asPlain) };
      const m = e.type.asMap;
      return { ...base, found: true, hashers: m.hashers.map((h: Any) => h.toString()), key: ty(m.key), value: ty(m.value) };
    }
    if (u.kind === 'runtimeApi') {
      const a = (md.apis ?? []).find((x: Any) => x.name.toString() === u.api);
      const m = a?.methods.find((x: Any) => x.name.toString() === u.method);
      if (!m) return { ...base, found: false };
      return {
        ...base,
        found: true,
        args: m.inputs.map((i: Any) => ({ name: i.name.toString(), typeName: '', type: ty(i.type) })),
        output: ty(m.output),
      };
    }
    const p = pallet(u.pallet);
    const c = p?.constants.find((x: Any) => x.name.toString() === u.name);
    return c ? { ...base, found: true, value: ty(c.type) } : { ...base, found: false };
  });
}
