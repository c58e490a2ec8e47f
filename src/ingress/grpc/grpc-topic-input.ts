import { BadRequest } from '../../errors.js';
import { dtmProto, type DtmTopicRequest } from '../../protocol/dtm-proto.js';
import { wireProblem, type WireShape } from './proto-wire-check.js';

/**
 * The gRPC adapter of the topic calls (spec §10.1): `DtmTopicRequest {1 Topic; 2 URL; 3 Remark}`,
 * checked strictly before decoding (proto-wire-check.ts), as the transaction requests are.
 * test/unit/ingress/proto-wire-check.test.ts keeps the shape equal to the loaded proto.
 */
export const DTM_TOPIC_REQUEST_SHAPE: WireShape = Object.freeze({
  fields: Object.freeze({
    1: { name: 'Topic', kind: 'string' as const },
    2: { name: 'URL', kind: 'string' as const },
    3: { name: 'Remark', kind: 'string' as const },
  }),
});

/** Strictly checks and decodes the request bytes; BadRequest naming the field when malformed. */
export function decodeTopicRequest(bytes: Buffer): DtmTopicRequest {
  const problem = wireProblem(bytes, DTM_TOPIC_REQUEST_SHAPE);
  if (problem !== undefined) throw new BadRequest(`malformed DtmTopicRequest: ${problem}`);
  try {
    return dtmProto().messages.DtmTopicRequest.decode(bytes);
  } catch (err) {
    throw new BadRequest(`malformed DtmTopicRequest: ${(err as Error).message}`);
  }
}
