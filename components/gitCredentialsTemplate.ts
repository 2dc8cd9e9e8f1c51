/**
 * The `git-credentials` key of an agent's Secret: an ESO (engine v2, Go text/template + sprig) template
 * that renders one line of git's credential-store format, `https://<user>:<token>@<host>`, read by
 * `git-credential-agent` (images/git-credentials/).
 */

/** The Go template for the git-credentials line; `.giteaToken` is the value ESO fetched from Vault. */
export function gitCredentialsTemplate(username: string, giteaHost: string): string {
    const user = encodeURIComponent(username);
    return `https://${user}:{{ .giteaToken | urlquery }}@${giteaHost}\n`;
}
