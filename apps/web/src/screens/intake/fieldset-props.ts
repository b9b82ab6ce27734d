import type { Vocabulary } from '../../api/types';
import type { Draft, DraftChange } from './draft';

/** What every part of the intake form gets: the draft, how to change it, and its errors. */
export interface FieldsetProps {
  draft: Draft;
  vocabulary: Vocabulary;
  change: (delta: DraftChange) => void;
  fieldError: (id: string) => string | undefined;
}
