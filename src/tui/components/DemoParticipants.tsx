import { Text } from 'ink';
import { fmtNum } from '../chart.js';
import { participantKey, type DemoView } from '../demo-state.js';
import { useTheme } from '../theme.js';
import { Panel } from './Panel.js';

/** One line per child: who, what it is doing, its last loss and speed, or how it exited. */
export function DemoParticipants({ view, focused, width }: { view: DemoView; focused?: boolean; width?: number | string }) {
  const t = useTheme();
  const list = view.ready?.participants ?? [];
  return (
    <Panel title="Participants" focused={focused} width={width}>
      {list.length === 0 ? <Text>—</Text> : null}
      {list.map((p) => {
        const v = view.participants[participantKey(p.role, p.uid)];
        const exit = view.exits.find((x) => x.child.role === p.role && x.child.uid === p.uid);
        const last = v?.steps.length ? v.steps[v.steps.length - 1] : null;
        const what =
          exit !== undefined
            ? `exited ${exit.signal ?? exit.code}`
            : p.role === 'miner'
              ? `${v?.phase ?? 'idle'} · loss ${fmtNum(last?.loss ?? null, 3)} · ${v?.tokensPerS ? Math.round(v.tokensPerS) : '—'} tok/s · ${v?.outerSteps ?? 0} outer`
              : `${v?.phase ?? 'waiting'} · ${v?.evaluated ?? 0} evals · ${v?.weights.length ?? 0} weight sets`;
        return (
          <Text key={`${p.role}${p.uid}`} wrap="truncate-end" {...(exit && exit.code !== 0 ? t.c('red') : {})}>
            {`${p.role === 'validator' ? 'validator' : 'miner    '} uid ${p.uid}  w${v?.window ?? '—'} ${what}`}
          </Text>
        );
      })}
    </Panel>
  );
}
