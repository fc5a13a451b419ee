package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// A CycloneDX 1.5 JSON SBOM of one binary, read from the module list Go
// records in it (debug/buildinfo, what `go version -m` prints): the binary
// as the application, every module linked into it and the Go standard
// library as libraries, each with its package URL; a module's h1: hash
// (the go.sum one) as SHA-256, as cyclonedx-gomod writes it. Only the
// main module's licence is known here; no dependency graph is claimed
// (the binary records none).

type cdxBOM struct {
	BOMFormat    string         `json:"bomFormat"`
	SpecVersion  string         `json:"specVersion"`
	SerialNumber string         `json:"serialNumber"`
	Version      int            `json:"version"`
	Metadata     cdxMetadata    `json:"metadata"`
	Components   []cdxComponent `json:"components"`
}

type cdxMetadata struct {
	Timestamp  string       `json:"timestamp"`
	Tools      cdxTools     `json:"tools"`
	Component  cdxComponent `json:"component"`
	Properties []cdxProp    `json:"properties,omitempty"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	Type               string       `json:"type"`
	BOMRef             string       `json:"bom-ref,omitempty"`
	Name               string       `json:"name"`
	Version            string       `json:"version,omitempty"`
	PURL               string       `json:"purl,omitempty"`
	Hashes             []cdxHash    `json:"hashes,omitempty"`
	Licenses           []cdxLicense `json:"licenses,omitempty"`
	ExternalReferences []cdxRef     `json:"externalReferences,omitempty"`
	Properties         []cdxProp    `json:"properties,omitempty"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxLicense struct {
	License struct {
		ID string `json:"id"`
	} `json:"license"`
}

type cdxRef struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type cdxProp struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// goPURL is the package URL of a Go module (purl-spec's golang type).
func goPURL(path, version string, qualifiers ...string) string {
	var segs []string
	for _, s := range strings.Split(path, "/") {
		segs = append(segs, url.PathEscape(s))
	}
	p := "pkg:golang/" + strings.Join(segs, "/") + "@" + url.PathEscape(version)
	if len(qualifiers) > 0 {
		p += "?" + strings.Join(qualifiers, "&")
	}
	return p
}

// h1Hash is the SHA-256 inside a go.sum h1: hash, in hex ("" for none).
func h1Hash(sum string) []cdxHash {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sum, "h1:"))
	if !strings.HasPrefix(sum, "h1:") || err != nil || len(b) != sha256.Size {
		return nil
	}
	return []cdxHash{{Alg: "SHA-256", Content: hex.EncodeToString(b)}}
}

// uuid5 is an RFC 9562 version 5 UUID of name in the URL namespace.
func uuid5(name string) string {
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.Sum(append(ns, name...))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// sbom is the SBOM of the binary at bin, built for p.
func sbom(bin string, p platform, o options) (*cdxBOM, error) {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	binSum, err := fileSHA256(bin)
	if err != nil {
		return nil, err
	}
	goVersion := strings.TrimPrefix(bi.GoVersion, "go")
	qual := []string{"type=module", "goos=" + p.os, "goarch=" + p.arch}
	app := cdxComponent{
		Type: "application", Name: bi.Main.Path, Version: o.version,
		PURL:     goPURL(bi.Main.Path, o.version, qual...),
		Hashes:   []cdxHash{{Alg: "SHA-256", Content: binSum}},
		Licenses: []cdxLicense{{}},
		ExternalReferences: []cdxRef{{Type: "vcs", URL: sourceURL}, {Type: "distribution",
			URL: sourceURL + "/releases/tag/" + o.version}},
	}
	app.BOMRef = app.PURL
	app.Licenses[0].License.ID = "Apache-2.0"
	for _, s := range bi.Settings {
		app.Properties = append(app.Properties, cdxProp{Name: "cdx:gomod:build:setting:" + s.Key, Value: s.Value})
	}
	if o.revision != "" {
		app.Properties = append(app.Properties, cdxProp{Name: "cdx:gomod:build:revision", Value: o.revision})
	}
	bom := &cdxBOM{
		BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1,
		SerialNumber: "urn:uuid:" + uuid5(sourceURL+"/releases/"+o.version+"/"+p.os+"_"+p.arch+"#"+binSum),
		Metadata: cdxMetadata{
			Timestamp: o.epoch.Format(time.RFC3339),
			Tools: cdxTools{Components: []cdxComponent{{Type: "application", Name: "scripts/release",
				Version: o.version, ExternalReferences: []cdxRef{{Type: "vcs", URL: sourceURL}}}}},
			Component: app,
		},
	}
	std := cdxComponent{Type: "library", Name: "stdlib", Version: bi.GoVersion, PURL: goPURL("stdlib", goVersion)}
	std.BOMRef = std.PURL
	bom.Components = append(bom.Components, std)
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := cdxComponent{Type: "library", Name: m.Path, Version: m.Version, PURL: goPURL(m.Path, m.Version, "type=module"), Hashes: h1Hash(m.Sum)}
		c.BOMRef = c.PURL
		if d.Replace != nil {
			c.Properties = []cdxProp{{Name: "cdx:gomod:replaces", Value: d.Path + "@" + d.Version}}
		}
		bom.Components = append(bom.Components, c)
	}
	return bom, nil
}

func writeSBOM(dst, bin string, p platform, o options) error {
	bom, err := sbom(bin, p, o)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the & between a purl's qualifiers as it is
	enc.SetIndent("", "  ")
	if err := enc.Encode(bom); err != nil {
		return err
	}
	return os.WriteFile(dst, b.Bytes(), 0o644)
}
