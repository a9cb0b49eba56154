// A small builder for a SCALE "portable type registry" (scale-info), the type table at the heart of
// metadata V14/V15. Types are written as short expressions ("Vec<u16>", "Compact<u64>",
// "(u16, AccountId32)", "[u8; 32]") or registered by name as composites/variants with the same
// Rust paths Subtensor's metadata uses, so @polkadot/api names and treats them as on finney.

export interface FieldJson {
  name: string | null;
  type: number;
  typeName: string | null;
  docs: string[];
}
export interface VariantJson {
  name: string;
  fields: FieldJson[];
  index: number;
  docs: string[];
}
export interface PortableTypeJson {
  id: number;
  type: {
    path: string[];
    params: { name: string; type: number | null }[];
    def: Record<string, unknown>;
    docs: string[];
  };
}

/** [name, type expression, Rust type name as written in the source] */
export type FieldSpec = [string | null, string, string?];
export interface VariantSpec {
  name: string;
  index: number;
  fields?: FieldSpec[];
  docs?: string[];
}

const PRIMITIVES: Record<string, string> = {
  bool: 'Bool',
  char: 'Char',
  str: 'Str',
  u8: 'U8',
  u16: 'U16',
  u32: 'U32',
  u64: 'U64',
  u128: 'U128',
  u256: 'U256',
  i8: 'I8',
  i16: 'I16',
  i32: 'I32',
  i64: 'I64',
  i128: 'I128',
};

export class TypeTable {
  readonly types: PortableTypeJson[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly named = new Map<string, number>();

  private push(key: string | null, type: PortableTypeJson['type']): number {
    if (key !== null) {
      const found = this.byKey.get(key);
      if (found !== undefined) return found;
    }
    const id = this.types.length;
    this.types.push({ id, type });
    if (key !== null) this.byKey.set(key, id);
    return id;
  }

  /** Reserve an id for a named type defined later (recursive types such as RuntimeCall). */
  reserve(name: string): number {
    const existing = this.named.get(name);
    if (existing !== undefined) return existing;
    const id = this.push(null, { path: [], params: [], def: { Tuple: [] }, docs: [] });
    this.named.set(name, id);
    return id;
  }

  has(name: string): boolean {
    return this.named.has(name);
  }

  private fields(specs: FieldSpec[]): FieldJson[] {
    return specs.map(([name, expr, typeName]) => ({ name, type: this.t(expr), typeName: typeName ?? expr, docs: [] }));
  }

  private define(name: string, type: PortableTypeJson['type']): number {
    const id = this.named.get(name);
    if (id !== undefined) {
      this.types[id]!.type = type;
      return id;
    }
    const nid = this.push(null, type);
    this.named.set(name, nid);
    return nid;
  }

  composite(
    name: string,
    path: string[],
    fields: FieldSpec[],
    params: [string, string | null][] = [],
    docs: string[] = [],
  ): number {
    const id = this.reserve(name);
    return this.define(name, {
      path,
      params: params.map(([n, e]) => ({ name: n, type: e === null ? null : this.t(e) })),
      def: { Composite: { fields: this.fields(fields) } },
      docs,
    });
    void id;
  }

  variant(name: string, path: string[], variants: VariantSpec[], params: [string, string | null][] = []): number {
    this.reserve(name);
    return this.define(name, {
      path,
      params: params.map(([n, e]) => ({ name: n, type: e === null ? null : this.t(e) })),
      def: {
        Variant: {
          variants: variants.map((v) => ({ name: v.name, index: v.index, fields: this.fields(v.fields ?? []), docs: v.docs ?? [] })),
        },
      },
      docs: [],
    });
  }

  /** Resolve a type expression to an id, registering anonymous types as needed. */
  t(expr: string): number {
    const p = new Parser(expr.replace(/\s+/g, ''));
    const id = this.parse(p);
    if (!p.done()) throw new Error(`bad type expression: ${expr}`);
    return id;
  }

  private parse(p: Parser): number {
    if (p.eat('(')) {
      const items: number[] = [];
      if (!p.eat(')')) {
        do items.push(this.parse(p));
        while (p.eat(','));
        p.expect(')');
      }
      return this.push(`(${items.join(',')})`, { path: [], params: [], def: { Tuple: items }, docs: [] });
    }
    if (p.eat('[')) {
      const inner = this.parse(p);
      p.expect(';');
      const len = Number(p.ident());
      p.expect(']');
      return this.push(`[${inner};${len}]`, { path: [], params: [], def: { Array: { len, type: inner } }, docs: [] });
    }
    const name = p.ident();
    if (p.eat('<')) {
      const args: number[] = [];
      do args.push(this.parse(p));
      while (p.eat(','));
      p.expect('>');
      const a = args[0]!;
      switch (name) {
        case 'Vec':
          return this.push(`Vec<${a}>`, { path: [], params: [], def: { Sequence: { type: a } }, docs: [] });
        case 'Compact':
          return this.push(`Compact<${a}>`, { path: [], params: [], def: { Compact: { type: a } }, docs: [] });
        case 'Option':
          return this.push(`Option<${a}>`, {
            path: ['Option'],
            params: [{ name: 'T', type: a }],
            def: {
              Variant: {
                variants: [
                  { name: 'None', index: 0, fields: [], docs: [] },
                  { name: 'Some', index: 1, fields: [{ name: null, type: a, typeName: null, docs: [] }], docs: [] },
                ],
              },
            },
            docs: [],
          });
        case 'Result': {
          const e = args[1]!;
          return this.push(`Result<${a},${e}>`, {
            path: ['Result'],
            params: [
              { name: 'T', type: a },
              { name: 'E', type: e },
            ],
            def: {
              Variant: {
                variants: [
                  { name: 'Ok', index: 0, fields: [{ name: null, type: a, typeName: null, docs: [] }], docs: [] },
                  { name: 'Err', index: 1, fields: [{ name: null, type: e, typeName: null, docs: [] }], docs: [] },
                ],
              },
            },
            docs: [],
          });
        }
        default:
          throw new Error(`unknown generic ${name}`);
      }
    }
    const prim = PRIMITIVES[name];
    if (prim) return this.push(name, { path: [], params: [], def: { Primitive: prim }, docs: [] });
    const id = this.named.get(name);
    if (id === undefined) throw new Error(`unknown type ${name}`);
    return id;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}
  done(): boolean {
    return this.i >= this.s.length;
  }
  eat(c: string): boolean {
    if (this.s[this.i] === c) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(c: string): void {
    if (!this.eat(c)) throw new Error(`expected ${c} at ${this.i} in ${this.s}`);
  }
  ident(): string {
    const m = /^[A-Za-z0-9_]+/.exec(this.s.slice(this.i));
    if (!m) throw new Error(`expected a name at ${this.i} in ${this.s}`);
    this.i += m[0].length;
    return m[0];
  }
}
