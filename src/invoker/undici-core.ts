/**
 * undici's Agent and connector, loaded from the modules that define them rather than from the
 * package's index. The index also loads fetch, WebSocket, EventSource, the cache stores and the
 * mock agents, none of which dtx's invoker uses: +3 MiB of V8 heap and 3-5 MiB of RSS under load
 * (docs/benchmarks.md, "Memory"). These are the same module instances the index exports (the
 * package has no `exports` map, and Node caches CommonJS modules by file), which
 * test/unit/invoker/undici-core.test.ts checks against the pinned undici version.
 */
import { createRequire } from 'node:module';
import type { Agent as AgentClass, buildConnector as BuildConnector } from 'undici';

const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof AgentClass;
export const buildConnector = require('undici/lib/core/connect.js') as typeof BuildConnector;
