// Package java stands in for pulumi-java's code generator: only the schema's "java" language section.
package java

// PackageInfo is the "language.java" section of a package schema (field names and tags as upstream).
type PackageInfo struct {
	BuildFiles                      string            `json:"buildFiles,omitempty"`
	GradleNexusPublishPluginVersion string            `json:"gradleNexusPublishPluginVersion,omitempty"`
	Dependencies                    map[string]string `json:"dependencies,omitempty"`
}
