import { describe, expect, it } from '@jest/globals';
import { decodeDeliveryBody } from '../../../../../src/services/core/webhooks/index.js';
import { examplesOf } from '../../../../support/github-examples.js';

const payload = examplesOf('ping')[0];
const json = JSON.stringify(payload);

describe('decodeDeliveryBody', () => {
  it('parses an application/json body', () => {
    expect(decodeDeliveryBody(Buffer.from(json), 'json')).toEqual({ ok: true, body: payload });
  });

  it('parses the payload field of an application/x-www-form-urlencoded body, as GitHub sends it', () => {
    const form = Buffer.from(new URLSearchParams({ payload: json }).toString());
    expect(decodeDeliveryBody(form, 'form')).toEqual({ ok: true, body: payload });
  });

  it('says where the JSON is broken', () => {
    expect(decodeDeliveryBody(Buffer.from('{"zen": '), 'json')).toEqual({
      ok: false,
      message: expect.stringMatching(/^the body is not valid JSON: /),
    });
    const form = Buffer.from(new URLSearchParams({ payload: '{' }).toString());
    expect(decodeDeliveryBody(form, 'form')).toEqual({
      ok: false,
      message: expect.stringMatching(/^the payload field is not valid JSON: /),
    });
  });

  it('asks for application/json when a form body has no payload field', () => {
    expect(decodeDeliveryBody(Buffer.from('zen=hi'), 'form')).toEqual({
      ok: false,
      message: expect.stringMatching(/no payload field; choose application\/json/),
    });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(decodeDeliveryBody(Buffer.from([0x7b, 0xff, 0x7d]), 'json')).toEqual({
      ok: false,
      message: expect.stringMatching(/not valid UTF-8/),
    });
  });

  it('passes through JSON that is not an object, for interpretDelivery to judge', () => {
    expect(decodeDeliveryBody(Buffer.from('[1, 2]'), 'json')).toEqual({ ok: true, body: [1, 2] });
  });
});
