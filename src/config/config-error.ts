/**
 * The one error the config module throws. `key` is the dotted YAML path of the bad setting
 * (`RetryInterval`, `Store.Driver`) or `-c` when the config file itself cannot be used; `message`
 * always names the key and the bad value, so the CLI can print it and exit without a stack trace.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly key: string;

  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}

/** Keys (and their entries, `Auth.Tokens.2`) whose values are secrets: messages never show them. */
const SECRET_KEYS: readonly string[] = ['Auth.Tokens', 'Store.Password', 'Store.KafkaSasl.Password'];

function isSecret(key: string): boolean {
  return SECRET_KEYS.some((s) => key === s || key.startsWith(`${s}.`));
}

/** Formats the standard message: `Invalid config <key>=<value>: <reason>`; a secret's value is `(hidden)`. */
export function invalidValue(key: string, value: unknown, reason: string, envName?: string): ConfigError {
  const where = envName === undefined ? key : `${key} (env ${envName})`;
  return new ConfigError(key, `Invalid config ${where}=${isSecret(key) ? '(hidden)' : showValue(value)}: ${reason}`);
}

function showValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  // Long values (a whole JSON blob) would drown the reason; the key says where to look.
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
