// `npm run bench [-- SECTION…]`: runs the benchmarks and prints markdown tables for
// docs/benchmarks.md. Each section measures its baseline in the same run.
import { benchWallet } from './bench-wallet.js';
import { benchComm } from './bench-comm.js';
import { benchGroups } from './bench-groups.js';

const sections: Record<string, () => Promise<string>> = {
  wallet: benchWallet,
  comm: benchComm,
  groups: benchGroups,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : Object.keys(sections)) {
  const run = sections[name];
  if (!run) {
    console.error(`unknown benchmark section "${name}"; known: ${Object.keys(sections).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n## ${name}  (${new Date().toISOString()}, ${process.version})\n`);
  console.log(await run());
}
