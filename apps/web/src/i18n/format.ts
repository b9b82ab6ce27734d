/** Plural forms by Intl.PluralRules category; Russian uses one / few / many, English one / other. */
export interface Plural {
  one: string;
  few?: string;
  many?: string;
  other: string;
}
export type Message = string | Plural;
export type Params = Record<string, string | number>;

const pluralRules = new Map<string, Intl.PluralRules>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function cached<T>(map: Map<string, T>, locale: string, make: () => T): T {
  let value = map.get(locale);
  if (!value) {
    value = make();
    map.set(locale, value);
  }
  return value;
}

/** Fills {name} placeholders; numbers are written in the locale's own way. */
export function formatMessage(
  message: Message,
  params: Params | undefined,
  locale: string,
): string {
  let text: string;
  if (typeof message === 'string') text = message;
  else {
    const count = Number(params?.count ?? 0);
    const rules = cached(pluralRules, locale, () => new Intl.PluralRules(locale));
    const category = rules.select(count);
    text =
      (category === 'one' || category === 'few' || category === 'many'
        ? message[category]
        : undefined) ?? message.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params?.[name];
    if (value === undefined) return whole;
    if (typeof value === 'number')
      return cached(numberFormats, locale, () => new Intl.NumberFormat(locale)).format(value);
    return value;
  });
}
