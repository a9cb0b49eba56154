// The create and import forms of the Wallet screen. Each owns its form state (useForm); secrets are
// typed into masked fields and handed to src/wallet, never drawn.
import { Form } from './Form.js';
import { useForm, type FieldSpec, type KeyRoute } from '../form.js';
import { existsError, importColdkey, importHotkey, nameError, passwordError, planWallet, type PlannedWallet } from '../wallet-model.js';
import { coldkeyPath } from '../../wallet/wallet.js';

const confirmCheck = (v: string, all: Record<string, string>) => (v === all.password ? null : 'the passwords do not match');
const mnemonicCheck = (v: string) => ([12, 15, 18, 21, 24].includes(v.trim().split(/\s+/).filter(Boolean).length) ? null : 'a mnemonic has 12, 15, 18, 21 or 24 words');

export function CreateFlow({ path, route, onPlanned, onCancel }: { path: string; route: KeyRoute; onPlanned: (p: PlannedWallet) => void; onCancel: () => void }) {
  const fields: FieldSpec[] = [
    { name: 'name', label: 'wallet name', check: (v) => nameError('wallet', v) ?? existsError(coldkeyPath({ path, name: v })) },
    { name: 'hotkey', label: 'hotkey name', initial: 'default', check: (v) => nameError('hotkey', v) },
    { name: 'password', label: 'coldkey password', masked: true, hint: '6+ characters, strength ≥ 20', check: passwordError },
    { name: 'confirm', label: 'retype password', masked: true, check: confirmCheck },
  ];
  const s = useForm(fields, { route, onCancel, onSubmit: async (v) => onPlanned(await planWallet(path, v.name, v.hotkey, v.password)) });
  return <Form title="Create a wallet (coldkey encrypted, hotkey unencrypted as in btcli)" fields={fields} state={s} busyText="generating keys…" />;
}

export function ImportColdkeyFlow({ path, route, wallet, onDone, onCancel }: { path: string; route: KeyRoute; wallet: string; onDone: (msg: string) => void; onCancel: () => void }) {
  const fields: FieldSpec[] = [
    { name: 'name', label: 'wallet name', initial: wallet, check: (v) => nameError('wallet', v) ?? existsError(coldkeyPath({ path, name: v })) },
    { name: 'mnemonic', label: 'mnemonic', masked: true, hint: 'words separated by spaces', check: mnemonicCheck },
    { name: 'password', label: 'coldkey password', masked: true, hint: '6+ characters, strength ≥ 20', check: passwordError },
    { name: 'confirm', label: 'retype password', masked: true, check: confirmCheck },
  ];
  const s = useForm(fields, {
    route,
    onCancel,
    onSubmit: async (v) => onDone(`imported coldkey ${await importColdkey(path, v.name, v.mnemonic, v.password)} into wallet ${v.name}`),
  });
  return <Form title="Import a coldkey from its mnemonic" fields={fields} state={s} busyText="encrypting the coldkey…" />;
}

export function ImportHotkeyFlow({ path, route, wallet, onDone, onCancel }: { path: string; route: KeyRoute; wallet: string; onDone: (msg: string) => void; onCancel: () => void }) {
  const fields: FieldSpec[] = [
    { name: 'name', label: 'wallet name', initial: wallet, check: (v) => nameError('wallet', v) },
    { name: 'hotkey', label: 'hotkey name', initial: 'default', check: (v) => nameError('hotkey', v) },
    { name: 'mnemonic', label: 'mnemonic', masked: true, hint: 'words separated by spaces', check: mnemonicCheck },
  ];
  const s = useForm(fields, {
    route,
    onCancel,
    onSubmit: async (v) => onDone(`imported hotkey ${v.hotkey} ${await importHotkey(path, v.name, v.hotkey, v.mnemonic)} into wallet ${v.name}`),
  });
  return <Form title="Import a hotkey from its mnemonic (stored unencrypted, as in btcli)" fields={fields} state={s} busyText="writing the hotkey…" />;
}
