/** SSO OIDC (restJson1, unsigned): RegisterClient, StartDeviceAuthorization, CreateToken. */
import { type HttpClient, joinUrl, restJson, ServiceError } from './http.ts';

export interface Registration {
  clientId: string;
  clientSecret: string;
  /** Epoch seconds. */
  clientSecretExpiresAt: number;
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval?: number;
}

export interface TokenResponse {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
}

function needString(op: string, body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') {
    throw new ServiceError(op, 'InvalidResponse', 200, `the response has no ${key}`);
  }
  return v;
}

function needNumber(op: string, body: Record<string, unknown>, key: string): number {
  const v = body[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ServiceError(op, 'InvalidResponse', 200, `the response has no numeric ${key}`);
  }
  return v;
}

export class OidcClient {
  private readonly http: HttpClient;
  readonly endpoint: string;
  constructor(http: HttpClient, endpoint: string) {
    this.http = http;
    this.endpoint = endpoint;
  }

  private call(operation: string, path: string, body: Record<string, unknown>, extraUa?: string) {
    return restJson(this.http, {
      method: 'POST',
      url: joinUrl(this.endpoint, path),
      operation,
      headers: {
        'content-type': 'application/json',
        ...(extraUa ? { 'user-agent': `${this.http.userAgent} ${extraUa}` } : {}),
      },
      body: JSON.stringify(body),
    });
  }

  async registerClient(req: {
    clientName: string;
    scopes?: readonly string[] | undefined;
    grantTypes?: readonly string[];
    redirectUris?: readonly string[];
    issuerUrl?: string;
  }): Promise<Registration> {
    const op = 'RegisterClient';
    const body: Record<string, unknown> = { clientName: req.clientName, clientType: 'public' };
    if (req.scopes?.length) body.scopes = req.scopes;
    if (req.grantTypes) body.grantTypes = req.grantTypes;
    if (req.redirectUris) body.redirectUris = req.redirectUris;
    if (req.issuerUrl) body.issuerUrl = req.issuerUrl;
    const res = await this.call(op, '/client/register', body, req.grantTypes ? 'md/sso#auth' : undefined);
    return {
      clientId: needString(op, res, 'clientId'),
      clientSecret: needString(op, res, 'clientSecret'),
      clientSecretExpiresAt: needNumber(op, res, 'clientSecretExpiresAt'),
    };
  }

  async startDeviceAuthorization(req: {
    clientId: string;
    clientSecret: string;
    startUrl: string;
  }): Promise<DeviceAuthorization> {
    const op = 'StartDeviceAuthorization';
    const res = await this.call(op, '/device_authorization', req);
    const out: DeviceAuthorization = {
      deviceCode: needString(op, res, 'deviceCode'),
      userCode: needString(op, res, 'userCode'),
      verificationUri: needString(op, res, 'verificationUri'),
      verificationUriComplete: needString(op, res, 'verificationUriComplete'),
      expiresIn: needNumber(op, res, 'expiresIn'),
    };
    if (typeof res.interval === 'number' && res.interval > 0) out.interval = res.interval;
    return out;
  }

  async createToken(
    req:
      | {
          grantType: 'urn:ietf:params:oauth:grant-type:device_code';
          clientId: string;
          clientSecret: string;
          deviceCode: string;
        }
      | { grantType: 'refresh_token'; clientId: string; clientSecret: string; refreshToken: string }
      | {
          grantType: 'authorization_code';
          clientId: string;
          clientSecret: string;
          redirectUri: string;
          codeVerifier: string;
          code: string;
        },
  ): Promise<TokenResponse> {
    const op = 'CreateToken';
    const res = await this.call(
      op,
      '/token',
      req,
      req.grantType === 'authorization_code' ? 'md/sso#auth' : undefined,
    );
    const out: TokenResponse = {
      accessToken: needString(op, res, 'accessToken'),
      expiresIn: needNumber(op, res, 'expiresIn'),
    };
    if (typeof res.refreshToken === 'string' && res.refreshToken) out.refreshToken = res.refreshToken;
    return out;
  }
}
