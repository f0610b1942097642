/**
 * A self-signed certificate (valid to 2126) for *.example.test and 127.0.0.1, and its key, for tests of
 * TLS through a proxy's CONNECT tunnel: the client trusts it as a company's own CA is trusted
 * (NODE_EXTRA_CA_CERTS in production; the `ca` option here). A test key, worth nothing anywhere else.
 */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBzDCCAXKgAwIBAgIUanXvo64x+DarVQdXYkmbQEIYJOowCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXQ2Fpcm4gdGVzdCBDQS1sZXNzIGNlcnQwIBcNMjYxMjAzMTUx
NjA0WhgPMjEyNjExMDkxNTE2MDRaMCIxIDAeBgNVBAMMF0NhaXJuIHRlc3QgQ0Et
bGVzcyBjZXJ0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEh2as4I4z41yMGeYe
0AmQXPWsioBz1a8/Nr8Nna+Jg5r8hTi4iYts7yiVnga29iCGZwj0Lg6cKtGX7G07
j4F6GqOBgzCBgDAdBgNVHQ4EFgQU3p9VXFuK/y3lAUc9FO/xff6266EwHwYDVR0j
BBgwFoAU3p9VXFuK/y3lAUc9FO/xff6266EwDwYDVR0TAQH/BAUwAwEB/zAtBgNV
HREEJjAkggxleGFtcGxlLnRlc3SCDiouZXhhbXBsZS50ZXN0hwR/AAABMAoGCCqG
SM49BAMCA0gAMEUCIHMb24HL/lTia7m0ZCkNZgnku2366HoxjTZBEXglXbNcAiEA
8S3KZtQCiJQsvmiAYcAATerKysRSgXA+LnkDWjQxYBI=
-----END CERTIFICATE-----\n`;

export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgltyNEw4uL+3msKd3
LKiFOopinhVzQYTYgfFVFrdUfB+hRANCAASHZqzgjjPjXIwZ5h7QCZBc9ayKgHPV
rz82vw2dr4mDmvyFOLiJi2zvKJWeBrb2IIZnCPQuDpwq0ZfsbTuPgXoa
-----END PRIVATE KEY-----\n`;
