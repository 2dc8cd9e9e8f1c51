/**
 * Issues an agent's build certificates (plan/buildDaemon.ts, `certificates`) with @pulumi/tls: a CA of
 * the agent's own, the daemon's server pair and the agent's client pair, ECDSA P-256. The keys live in the
 * stack's state as secrets (as the generated passwords do) and reach the pods only through Vault and ESO.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { BuildCertificates, CertificateSpec } from "../plan/buildService";

export interface IssuedBuildCertificates {
    caCert: pulumi.Output<string>;
    serverCert: pulumi.Output<string>;
    serverKey: pulumi.Output<string>;
    clientCert: pulumi.Output<string>;
    clientKey: pulumi.Output<string>;
}

function key(name: string, parent: pulumi.Resource): tls.PrivateKey {
    return new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
}

function signed(
    name: string,
    spec: CertificateSpec,
    ca: { cert: pulumi.Output<string>; key: pulumi.Output<string> },
    parent: pulumi.Resource,
): { cert: pulumi.Output<string>; key: pulumi.Output<string> } {
    const privateKey = key(`${name}-key`, parent);
    const request = new tls.CertRequest(
        `${name}-request`,
        { privateKeyPem: privateKey.privateKeyPem, subject: { commonName: spec.commonName }, dnsNames: spec.dnsNames },
        { parent },
    );
    const cert = new tls.LocallySignedCert(
        `${name}-cert`,
        {
            certRequestPem: request.certRequestPem,
            caCertPem: ca.cert,
            caPrivateKeyPem: ca.key,
            allowedUses: spec.usages,
            validityPeriodHours: spec.validityHours,
            earlyRenewalHours: spec.earlyRenewalHours,
        },
        { parent },
    );
    return { cert: cert.certPem, key: pulumi.secret(privateKey.privateKeyPem) };
}

/** `name` is the agent's component name; every resource's name starts with it. */
export function issueBuildCertificates(
    name: string,
    certificates: BuildCertificates,
    parent: pulumi.Resource,
): IssuedBuildCertificates {
    const caKey = key(`${name}-build-ca-key`, parent);
    const ca = new tls.SelfSignedCert(
        `${name}-build-ca`,
        {
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: certificates.ca.commonName },
            isCaCertificate: true,
            allowedUses: certificates.ca.usages,
            validityPeriodHours: certificates.ca.validityHours,
        },
        { parent },
    );
    const authority = { cert: ca.certPem, key: pulumi.secret(caKey.privateKeyPem) };
    const server = signed(`${name}-build-server`, certificates.server, authority, parent);
    const client = signed(`${name}-build-client`, certificates.client, authority, parent);
    return {
        caCert: ca.certPem,
        serverCert: server.cert,
        serverKey: server.key,
        clientCert: client.cert,
        clientKey: client.key,
    };
}
