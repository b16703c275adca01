/**
 * The typed error for a setting the caller got wrong (a value out of range, an unknown learner, a
 * budget that cannot pay for the run), thrown before anything is read or spent. It is the only
 * error the CLI turns into a usage error (exit 2) apart from its own: a bare `RangeError` — from
 * V8, a metric or a bug — is not the caller's option and stays an internal error.
 */
export class OptionError extends Error {
  override name = 'OptionError';
  constructor(
    /** The option at fault (a `CondenseSettings` key, or another function's option name). */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
