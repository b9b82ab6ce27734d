/**
 * The base of every error a domain throws on purpose. Domains define their own code enums;
 * apps/api maps each code to an HTTP status in one exhaustive switch. The message is for
 * operators and clients and must never contain personal data.
 */
export abstract class DomainException<Code extends string = string> extends Error {
  protected constructor(
    readonly code: Code,
    message?: string,
    /** Field-level problems, for validation-like errors: field name → messages. */
    readonly fields?: Record<string, string[]>,
  ) {
    super(message ?? code);
    this.name = new.target.name;
  }
}
