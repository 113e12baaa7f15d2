/**
 * dockerode loads its BuildKit session support (gRPC and a protobuf loader: 7 MB of resident
 * memory, 3 MB of it heap, measured on Node 24) as soon as it is required, though only `buildImage` with
 * `version: '2'` uses it, which Gyre never asks for (dockerode-client.ts builds with the classic
 * builder). This hook gives dockerode a stand-in for that one file, so every `gyre` process, the
 * agent above all, runs without gRPC. The CLI's entry imports it before anything else.
 */
// A namespace import: Node before 22.15 has no registerHooks, and a named import would not load there.
import * as nodeModule from 'node:module';

const SESSION_FILE = /[\\/]dockerode[\\/]lib[\\/]session\.js$/;

/** Says what is missing, should a later change ever ask dockerode for a session. */
const STAND_IN = `module.exports = function withSession() {
  throw new Error('dockerode BuildKit sessions (buildImage with version "2") are left out of gyre: see src/docker/skip-buildkit-session.ts');
};`;

// Where it is missing, gyre runs as before, with gRPC loaded.
if (typeof nodeModule.registerHooks === 'function')
  nodeModule.registerHooks({
    load(url, context, nextLoad) {
      if (SESSION_FILE.test(url)) return { format: 'commonjs', source: STAND_IN, shortCircuit: true };
      return nextLoad(url, context);
    },
  });
