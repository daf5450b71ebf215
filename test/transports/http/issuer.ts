import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

/** A tiny OAuth issuer for the test: RFC 8414 metadata naming its JWKS, and the JWKS. */
export async function startIssuer() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  let jwksRequests = 0;
  const server: Server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url === '/.well-known/oauth-authorization-server') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          jwks_uri: `${base}/jwks`,
        }),
      );
    } else if (req.url === '/jwks') {
      jwksRequests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sign = (claims: JWTPayload, o: { key?: CryptoKey; expiresIn?: string | number; issuer?: string; audience?: string } = {}) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt().setIssuer(o.issuer ?? url);
    if (o.audience !== undefined) jwt.setAudience(o.audience);
    jwt.setExpirationTime(o.expiresIn ?? '5m');
    return jwt.sign(o.key ?? privateKey);
  };
  return { url, sign, jwksRequests: () => jwksRequests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
