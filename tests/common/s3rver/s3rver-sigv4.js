// s3rver with SigV4 checked for real. s3rver 3.7.1 only checks that the access key id
// exists ("V4 signatures have incomplete support": lib/middleware/authentication.js accepts
// any V4 signature), so a wrong secret would pass unnoticed. This launcher puts AWS's own
// signer (@smithy/signature-v4, what the AWS SDK for JavaScript signs with) in front of it:
// every request's Authorization is recomputed from the request as it arrived on the wire
// (raw path, query, the headers it names, x-amz-content-sha256) and a mismatch is answered
// with S3's SignatureDoesNotMatch. The payload hash itself is not compared with the body.
//
// usage: node s3rver-sigv4.js --port P --directory DIR --bucket NAME [--bucket NAME...]
//        [--access-key-id S3RVER --secret S3RVER]
// Prints "listening PORT" on stdout once it accepts connections.
'use strict';

const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const buckets = args.flatMap((a, i) => (a === '--bucket' ? [args[i + 1]] : []));
const accessKeyId = option('--access-key-id', 'S3RVER');
const secretAccessKey = option('--secret', 'S3RVER');

function mismatch() {
  return new S3Error(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  );
}

async function verify(ctx) {
  const authorization = ctx.get('authorization');
  if (!authorization) return; // anonymous: s3rver decides
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!m) throw mismatch();
  const [, keyId, , region, service, signedHeaderList, signature] = m;
  if (keyId !== accessKeyId) return; // s3rver answers InvalidAccessKeyId
  const rawUrl = ctx.req.url;
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = {};
  if (q >= 0) {
    for (const pair of rawUrl.slice(q + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
      query[name] = name in query ? [].concat(query[name], value) : value;
    }
  }
  const names = signedHeaderList.split(';');
  const headers = {};
  for (const name of names) headers[name] = ctx.req.headers[name] === undefined ? '' : String(ctx.req.headers[name]);
  const amzDate = headers['x-amz-date'] || '';
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!d) throw mismatch();
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false, // S3: the path is signed exactly as sent, never double-encoded
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: ctx.method, protocol: 'http:', hostname: ctx.hostname, path, query, headers },
    {
      signingDate: new Date(Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6])),
      signableHeaders: new Set(names),
    },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  if (expected !== signature) throw mismatch();
}

const server = new S3rver({
  port: Number(option('--port', '0')),
  address: '127.0.0.1',
  directory: option('--directory'),
  silent: true,
  configureBuckets: buckets.map(name => ({ name })),
});
server.middleware.unshift(async (ctx, next) => {
  await verify(ctx);
  return next();
});
server.run().then(
  ({ port }) => process.stdout.write(`listening ${port}\n`),
  err => {
    process.stderr.write(`s3rver-sigv4: ${err.message}\n`);
    process.exit(1);
  },
);
