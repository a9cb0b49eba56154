// `loco config get|set|unset`: saved defaults for the global options.
import type { Command } from 'commander';
import { action } from '../action.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('saved defaults: network, wallet_name, wallet_hotkey, wallet_path');

  config
    .command('get [key]')
    .description('show saved defaults (all, or one key)')
    .action(
      action(async (ctx, [rawKey]) => {
        const { readConfig, checkKey, BUILTIN_DEFAULTS, CONFIG_KEYS } = await import('../config.js');
        const { values, path } = await readConfig();
        if (rawKey !== undefined) {
          const key = checkKey(rawKey);
          const value = values[key] ?? null;
          ctx.out.result({ key, value, default: BUILTIN_DEFAULTS[key] }, value ?? `(unset; default ${BUILTIN_DEFAULTS[key]})`);
          return;
        }
        ctx.out.result(
          { path, values },
          [`config file: ${path}`, ...CONFIG_KEYS.map((k) => `${k.padEnd(14)} ${values[k] ?? `(default: ${BUILTIN_DEFAULTS[k]})`}`)],
        );
      }),
    );

  config
    .command('set <key> <value>')
    .description('save a default')
    .action(
      action(async (ctx, [key, value]) => {
        const { checkKey, setConfig } = await import('../config.js');
        const path = await setConfig(checkKey(key), value as string);
        ctx.out.result({ key, value, path }, `${key} = ${value}`);
      }),
    );

  config
    .command('unset <key>')
    .alias('clear')
    .description('forget a saved default')
    .action(
      action(async (ctx, [key]) => {
        const { checkKey, unsetConfig } = await import('../config.js');
        await unsetConfig(checkKey(key));
        ctx.out.result({ key, value: null }, `${key} unset`);
      }),
    );
}
