import { describe, expect, it } from 'vitest';
import { defaultParseServerMethod } from '../../../src/invoker/default-server-method.js';

describe('defaultParseServerMethod (dtm default driver, spec §6.4)', () => {
  it('splits at the first slash', () => {
    expect(defaultParseServerMethod('localhost:58081/busi.Busi/TransIn')).toEqual({ server: 'localhost:58081', method: '/busi.Busi/TransIn' });
    expect(defaultParseServerMethod('h:1/a.B/C/D')).toEqual({ server: 'h:1', method: '/a.B/C/D' });
  });

  it('rejects a URL without a slash, and a URL with a scheme, with dtm’s messages', () => {
    expect(() => defaultParseServerMethod('localhost:58081')).toThrow("bad url: 'localhost:58081'. no '/' found");
    expect(() => defaultParseServerMethod('etcd://127.0.0.1:2379/busi/busi.Busi/TransIn'))
      .toThrow("call dtmdriver.Use() before you use custom scheme for 'etcd://127.0.0.1:2379/busi/busi.Busi/TransIn'");
  });
});
