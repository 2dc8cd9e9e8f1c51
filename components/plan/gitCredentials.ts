/**
 * The Secret keys made of an agent's Gitea token: ESO (engine v2, Go text/template + sprig) templates.
 * `git-credentials`: one line of git's credential-store format, `https://<user>:<token>@<host>`, read by
 * `git-credential-agent` (images/git-credentials/); with the broker, the egress proxy's header line.
 */
import { BROKER_GIT_ACL } from "../contract/egressProxy";

/**
 * The token is percent-encoded per RFC 3986, as git's credential-store decodes it: `urlquery` is form
 * encoding (a space becomes `+`, which git keeps as a literal `+`), so its `+` is turned into `%20` (a
 * literal `+` was already encoded as `%2B`). Trailing whitespace is trimmed first: a value written with
 * `vault kv put …=@file` keeps the file's final newline, and an encoded `%0A` in the token makes git find
 * no credential at all. Tested through the real template engine and git in
 * images/shell/test/git-credentials-template.test.ts.
 */
const ENCODED_TOKEN = '{{ regexReplaceAll "\\\\s+$" .giteaToken "" | urlquery | replace "+" "%20" }}';

/** The Go template for the git-credentials line; `.giteaToken` is the value ESO fetched from Vault. */
export function gitCredentialsTemplate(username: string, giteaHost: string): string {
    // encodeURIComponent is RFC 3986 apart from leaving `!'()*` alone, which userinfo allows as is.
    const user = encodeURIComponent(username);
    return `https://${user}:${ENCODED_TOKEN}@${giteaHost}\n`;
}

/**
 * The Secret-rendered line that adds the git token (ESO engine v2 template over `.giteaToken`): HTTP
 * basic auth as `<user>:<token>`, the token's trailing whitespace trimmed as in the credential file.
 */
export function brokerGitHeaderTemplate(username: string): string {
    const user = JSON.stringify(username);
    return (
        `request_header_add Authorization "Basic {{ printf "%s:%s" ${user} (regexReplaceAll "\\\\s+$" .giteaToken "") | b64enc }}" ` +
        `${BROKER_GIT_ACL}\n`
    );
}
