import { describe, expect, it } from '@jest/globals';
import { announcedUpload } from '../../../../../src/services/features/protocol/transfers/announced-upload.js';
import { InvalidInputError } from '../../../../../src/shared/errors.js';

const digest = 'a'.repeat(64);
const upload = '1ccb69cf-6aa9-4226-b441-9dc29c5d7070';
const all = { 'x-gyre-blob-digest': digest, 'x-gyre-blob-size': 42, 'x-gyre-blob-upload': upload };

describe('announcedUpload', () => {
  it('names no upload without the headers: the body holds the bytes', () => {
    expect(announcedUpload({}, true)).toBeUndefined();
  });

  it('names the upload of all three headers and an empty body', () => {
    expect(announcedUpload(all, false)).toEqual({ digest, size: 42, upload });
  });

  it('refuses some of the headers, saying how many are missing and what to send', () => {
    const { ['x-gyre-blob-upload']: _left, ...two } = all;
    expect(() => announcedUpload(two, false)).toThrow(InvalidInputError);
    expect(() => announcedUpload(two, false)).toThrow(/1 of the three headers.*send x-gyre-blob-digest/s);
    expect(() => announcedUpload({ 'x-gyre-blob-size': 0 }, false)).toThrow(/2 of the three headers/);
  });

  it('refuses a body as well as the headers', () => {
    expect(() => announcedUpload(all, true)).toThrow(/must have an empty body/);
  });
});
