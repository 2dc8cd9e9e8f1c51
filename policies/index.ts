/**
 * The policy pack `pulumi preview --policy-pack policies` loads. Constructing a PolicyPack starts the
 * analyzer's gRPC server, so this file does only that: the policies live in ./rules, which tests import.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("persistent-agents", { policies });
