/**
 * The JWT settings a gateway outside production trusts when none are configured: those the
 * sandbox LMS signs its tokens with (sandbox/credentials.ts takes them from here, so config
 * needs nothing from the sandbox).
 */
export const DEVELOPMENT_JWT = {
  secretKey: 'sandbox-jwt-secret-do-not-use-in-production',
  issuer: 'http://127.0.0.1/sandbox-lms/oauth2',
  audience: 'commerce-gateway-sandbox',
} as const;
