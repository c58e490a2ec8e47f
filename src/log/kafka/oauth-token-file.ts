import { invalidValue, LiveSetting, readSettingFile } from '../../config/index.js';
import { OAuthTokenFailure } from '../../errors.js';
import { fileTokenOf, MAX_TOKEN_FILE_BYTES } from './oauth-token-answer.js';
import { bearerOf, MIN_LEFT_MS, type BearerToken } from './oauth-token-source.js';

const KEY = 'Store.KafkaSasl.TokenFile';

/**
 * SASL/OAUTHBEARER tokens from a file something else keeps fresh (`Store.KafkaSasl.TokenFile`): a
 * Kubernetes projected service-account token (the kubelet rewrites it well before it expires), a
 * workload-identity agent or a sidecar. The file is looked at for each authentication and read
 * again when it changed (LiveSetting); its text is checked as bounded input (one RFC 6750 token of
 * at most 16 KiB). A file that does not pass at start is a config error naming the key; later, the
 * token read before stays, with a warning. A JWT whose `exp` leaves less than MIN_LEFT_MS is not
 * handed to kafkajs (see oauth-token-source.ts): the authentication fails, retriably, naming the
 * file, so the worker reconnects once the writer renewed it (retriable: a writer may be late, the
 * kubelet renews a projected token at 80% of its lifetime). A token that is no JWT has no known
 * expiry: the brokers decide.
 */
export class TokenFileSource {
  readonly #live: LiveSetting<{ readonly value: string; readonly expiresAtMs?: number }>;

  /** Reads the file now: a ConfigError naming the key when it cannot be used. */
  constructor(
    private readonly file: string,
    private readonly extensions: Readonly<Record<string, string>>,
    warn: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.#live = new LiveSetting([file], () => {
      const bytes = readSettingFile(KEY, file, MAX_TOKEN_FILE_BYTES);
      try {
        return fileTokenOf(bytes);
      } catch (err) {
        throw invalidValue(KEY, file, (err as Error).message);
      }
    }, warn);
  }

  /** The token to authenticate with now (kafkajs's `oauthBearerProvider`). */
  bearer(): Promise<BearerToken> {
    const token = this.#live.current;
    if (token.expiresAtMs !== undefined && token.expiresAtMs - this.now() < MIN_LEFT_MS) {
      const left = Math.round((token.expiresAtMs - this.now()) / 1000);
      const when = `${left >= 0 ? 'expires in' : 'expired'} ${Math.abs(left)} s${left >= 0 ? '' : ' ago'} (${new Date(token.expiresAtMs).toISOString()})`;
      return Promise.reject(new OAuthTokenFailure(`the OAuth token in ${this.file} (${KEY}) ${when}: whatever writes the file has not renewed it`, true));
    }
    return Promise.resolve(bearerOf(token.value, this.extensions));
  }
}
