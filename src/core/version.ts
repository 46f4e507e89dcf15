// The gitmesh version, as package.json says (test/cli/validate.test.ts checks they agree): one constant for cli/ and action/.

/** The release this code is; SARIF's tool version and `gitmesh --version`. */
export const VERSION = '0.1.0';
