/**
 * Backups on the node. The stack snapshots workspaces with CSI VolumeSnapshots; this node's claims are
 * hostPath volumes with no CSI driver, so no snapshot can be taken here, and the tier says so rather than
 * pretend. What it can check is the restore side with a pre-made snapshot object (a pre-provisioned
 * VolumeSnapshotContent and its VolumeSnapshot, as docs/runbook.md's restore into another namespace makes):
 * the workspace claim the program renders for `storage.restoreFrom` names that snapshot; with no driver,
 * the static pool's controller would bind it to an empty folder (seen: Bound within a second), a restore
 * that holds no data, so the node refuses such claims (scripts/node/manifests/no-snapshot-restore.yaml)
 * and the test checks the refusal names why.
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { after, describe, it } from "node:test";
import { computerObjects } from "../../components/render/computer";
import { stackPlans } from "../../scripts/local-stack/stackPlans";
import { REPO, apply, ensureNamespace, kubectl, kubectlOk } from "./fixture";

const NAMESPACE = "restore-check";
const SNAPSHOT = "pre-made-workspace";

describe("backups on the node", () => {
    after(() => {
        kubectl(["delete", "namespace", NAMESPACE, "--wait=false"]);
        kubectl(["delete", "volumesnapshotcontent", `${SNAPSHOT}-content`, "--wait=false"]);
    });

    it("says plainly that this node has no CSI snapshot driver, so no VolumeSnapshot is taken here", (t) => {
        const drivers = JSON.parse(kubectlOk(["get", "csidrivers", "-o", "json"])).items;
        const classes = JSON.parse(kubectlOk(["get", "volumesnapshotclasses", "-o", "json"])).items;
        assert.deepStrictEqual(drivers, [], "a CSI driver appeared: test the backup CronJob's real snapshot instead");
        assert.deepStrictEqual(classes, []);
        t.diagnostic(
            "this node's claims are hostPath volumes with no CSI driver: the backup CronJob's VolumeSnapshot would never be cut here",
        );
    });

    it("renders a restoring workspace claim that names a pre-made snapshot, which the node refuses rather than bind an empty volume", async () => {
        ensureNamespace(NAMESPACE);
        apply([
            {
                apiVersion: "snapshot.storage.k8s.io/v1",
                kind: "VolumeSnapshotContent",
                metadata: { name: `${SNAPSHOT}-content` },
                spec: {
                    deletionPolicy: "Retain",
                    driver: "hostpath.csi.k8s.io",
                    source: { snapshotHandle: "pre-made-on-another-cluster" },
                    volumeSnapshotRef: { name: SNAPSHOT, namespace: NAMESPACE },
                },
            },
            {
                apiVersion: "snapshot.storage.k8s.io/v1",
                kind: "VolumeSnapshot",
                metadata: { name: SNAPSHOT, namespace: NAMESPACE },
                spec: { source: { volumeSnapshotContentName: `${SNAPSHOT}-content` } },
            },
        ]);
        // The program's own claim for an agent restoring from that snapshot.
        const file = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.local.yaml"), "utf8")) as {
            config: Record<string, any>;
        };
        const agents = file.config["persistent-agents:agents"] as any[];
        file.config["persistent-agents:agents"] = [
            { ...agents.find((a) => a.name === "databot"), namespace: NAMESPACE, storage: { restoreFrom: SNAPSHOT } },
        ];
        const copy = path.join(process.env.NODE_TIER_WORK!, "Pulumi.restore-check.yaml");
        fs.writeFileSync(copy, yaml.dump(file));
        const { platform, plans } = stackPlans(copy);
        const plan = plans[0];
        // Plain data from render/ (its Input types allow promises; a rendered claim holds none).
        const claim: any = computerObjects(plan.agent, NAMESPACE, plan.computer, platform.images.prebuilt).claims.find(
            (c) => c.key === "workspace",
        )!.object;
        assert.deepStrictEqual(claim.spec.dataSource, {
            apiGroup: "snapshot.storage.k8s.io",
            kind: "VolumeSnapshot",
            name: SNAPSHOT,
        });
        const refused = kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify(claim));
        assert.notStrictEqual(refused.status, 0, "a restoring claim must not bind an empty volume of the pool");
        assert.match(refused.stderr, /no CSI snapshot driver/);
        assert.ok(
            kubectlOk(["-n", NAMESPACE, "get", "volumesnapshot", SNAPSHOT, "-o", "name"]),
            "the pre-made snapshot is there",
        );
    });
});
