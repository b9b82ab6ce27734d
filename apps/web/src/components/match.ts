/** Case- and ё-insensitive matching for type-to-find fields. */
export function normalise(text: string): string {
  return text.toLocaleLowerCase('ru').replace(/ё/g, 'е').trim();
}

export interface Choice {
  value: string;
  label: string;
  /** Other words that find this choice (a region's cities, a code), never shown as the label. */
  keywords?: readonly string[];
}

export interface Match extends Choice {
  /** The keyword that matched when the label did not, to show why it is offered. */
  via?: string;
}

/** Choices whose label or keyword has a word starting with the query; label matches first. */
export function matchChoices(choices: readonly Choice[], query: string): Match[] {
  const q = normalise(query);
  if (!q) return [...choices];
  const starts = (text: string) => {
    const n = normalise(text);
    return n.startsWith(q) || n.split(/[\s\-–—()«»"]+/).some((word) => word.startsWith(q));
  };
  const byLabel: Match[] = [];
  const byKeyword: Match[] = [];
  for (const choice of choices) {
    if (starts(choice.label)) byLabel.push(choice);
    else {
      const keyword = choice.keywords?.find(starts);
      if (keyword) byKeyword.push({ ...choice, via: keyword });
    }
  }
  return [...byLabel, ...byKeyword];
}
