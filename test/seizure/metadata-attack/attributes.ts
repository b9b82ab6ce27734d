import { Call } from './population';

/**
 * The sensitive attributes of a call (SPEC, Data protection), as the truth the attacker is
 * scored against. Each is one value per call (scalar), a set (topics, services), or a text.
 */
export interface Attribute {
  name: string;
  kind: 'scalar' | 'set' | 'text';
  of(call: Call): string[];
}

export const ATTRIBUTES: Attribute[] = [
  { name: 'orientation', kind: 'scalar', of: (c) => [c.caller.orientation ?? '∅'] },
  { name: 'gender identity', kind: 'scalar', of: (c) => [c.caller.genderIdentity ?? '∅'] },
  { name: 'age band', kind: 'scalar', of: (c) => [c.caller.ageBand ?? '∅'] },
  { name: 'topics', kind: 'set', of: (c) => c.topics },
  { name: 'risk flag', kind: 'scalar', of: (c) => [String(c.immediateRisk)] },
  { name: 'services sought', kind: 'set', of: (c) => c.services },
  { name: 'outcome', kind: 'scalar', of: (c) => [c.outcome] },
  { name: 'summary', kind: 'text', of: (c) => [c.summary] },
];

/** Every (attribute, value) the attacker could claim, with its frequency among all calls. */
export interface Events {
  list: Array<{ attribute: number; value: string; prior: number }>;
  index: Map<string, number>;
  /** Per call index: the events that are true of it. */
  truth: Map<number, number[]>;
}

export function events(calls: readonly Call[]): Events {
  const counts = new Map<string, number>();
  for (const call of calls)
    ATTRIBUTES.forEach((a, i) => {
      if (a.kind === 'text') return;
      for (const v of new Set(a.of(call)))
        counts.set(`${i}\u001f${v}`, (counts.get(`${i}\u001f${v}`) ?? 0) + 1);
    });
  const list = [...counts].map(([key, n]) => {
    const [attribute, value] = key.split('\u001f');
    return { attribute: Number(attribute), value, prior: n / calls.length };
  });
  const index = new Map(list.map((e, i) => [`${e.attribute}\u001f${e.value}`, i]));
  const truth = new Map<number, number[]>();
  for (const call of calls)
    truth.set(
      call.index,
      ATTRIBUTES.flatMap((a, i) =>
        a.kind === 'text' ? [] : [...new Set(a.of(call))].map((v) => index.get(`${i}\u001f${v}`)!),
      ),
    );
  return { list, index, truth };
}
