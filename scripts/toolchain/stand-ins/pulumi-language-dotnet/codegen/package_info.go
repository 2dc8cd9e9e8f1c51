// Package codegen stands in for the .NET code generator: only the schema's "csharp" language section.
package codegen

// CSharpPackageInfo is the "language.csharp" section of a package schema (field names and tags as upstream).
type CSharpPackageInfo struct {
	RespectSchemaVersion bool              `json:"respectSchemaVersion,omitempty"`
	PackageReferences    map[string]string `json:"packageReferences,omitempty"`
}
