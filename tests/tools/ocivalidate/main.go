// Command ocivalidate checks an OCI bundle's config.json with the checks of
// runtime-tools' validate package (Debian's
// golang-github-opencontainers-runtime-tools-dev), host-specific, for
// platform linux: every check of Validator.CheckAll except CheckJSONSchema,
// which fetches the schema from the network. In its place config.json, as
// written on disk, is validated against the runtime-spec JSON schema Debian
// ships (golang-github-opencontainers-specs-dev), loaded from a file:// URL.
//
//	ocivalidate [-schema CONFIG_SCHEMA_JSON] BUNDLE
//
// Prints one finding a line, sorted, and exits 1 if there is any, 0 if
// none, 2 on bad usage. A finding is
//
//	error: CHECK: MESSAGE [LEVEL REFERENCE code 0xNNNN]
//
// where the bracket is there when the check reports a spec violation
// (specerror), or
//
//	warning: MESSAGE
//
// for what the checks only log (a mount covered by a later one, an
// executable not in the rootfs). The tests compare the findings of a
// config before and after moat rewrites it (tests/integration/oci_parity_test.sh).
//
// Built in GOPATH mode against /usr/share/gocode (tests/CMakeLists.txt).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	multierror "github.com/hashicorp/go-multierror"
	"github.com/opencontainers/runtime-tools/specerror"
	"github.com/opencontainers/runtime-tools/validate"
	"github.com/sirupsen/logrus"
	"github.com/xeipuuv/gojsonschema"
)

const defaultSchema = "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema/config-schema.json"

// findings collects the output lines.
type findings struct {
	lines []string
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (f *findings) warn(msg string) {
	f.lines = append(f.lines, "warning: "+oneLine(msg))
}

// addErr records every error inside err, flattening multierrors; a
// specerror.Error carries its RFC 2119 level, reference and code.
func (f *findings) addErr(check string, err error) {
	if err == nil {
		return
	}
	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			f.addErr(check, e)
		}
		return
	}
	var serr *specerror.Error
	if errors.As(err, &serr) {
		f.lines = append(f.lines, fmt.Sprintf("error: %s: %s [%s %s code %#x]", check,
			oneLine(serr.Err.Err.Error()), serr.Err.Level, serr.Err.Reference, int64(serr.Code)))
		return
	}
	f.lines = append(f.lines, fmt.Sprintf("error: %s: %s", check, oneLine(err.Error())))
}

// warnHook turns the validate package's logrus warnings into findings.
type warnHook struct{ f *findings }

func (h warnHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (h warnHook) Fire(e *logrus.Entry) error {
	h.f.warn(e.Message)
	return nil
}

// run calls one check. A check that panics (CheckHooks dereferences the
// result of a failed stat of a hook that is not on the host) is a finding.
func (f *findings) run(name string, check func() error) {
	defer func() {
		if r := recover(); r != nil {
			f.lines = append(f.lines, fmt.Sprintf("error: %s: panicked: %s", name, oneLine(fmt.Sprint(r))))
		}
	}()
	f.addErr(name, check())
}

// checkSchema validates the bytes of config.json against the local schema.
func (f *findings) checkSchema(schemaPath, configPath string) {
	content, err := os.ReadFile(configPath)
	if err != nil {
		f.addErr("schema", err)
		return
	}
	abs, err := filepath.Abs(schemaPath)
	if err != nil {
		f.addErr("schema", err)
		return
	}
	schema := gojsonschema.NewReferenceLoader((&url.URL{Scheme: "file", Path: abs}).String())
	result, err := gojsonschema.Validate(schema, gojsonschema.NewBytesLoader(content))
	if err != nil {
		f.addErr("schema", fmt.Errorf("%s: %v", schemaPath, err))
		return
	}
	for _, e := range result.Errors() {
		msg := oneLine(e.Description())
		if !strings.HasPrefix(msg, e.Field()+" ") {
			msg = e.Field() + ": " + msg
		}
		f.lines = append(f.lines, "error: schema: "+msg)
	}
}

func main() {
	schemaPath := flag.String("schema", defaultSchema, "runtime-spec config-schema.json")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-schema CONFIG_SCHEMA_JSON] BUNDLE\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if _, err := os.Stat(*schemaPath); err != nil {
		fmt.Fprintf(os.Stderr, "ocivalidate: schema: %v\n", err)
		os.Exit(2)
	}
	bundle := flag.Arg(0)

	f := &findings{}
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.WarnLevel)
	logrus.AddHook(warnHook{f})

	f.checkSchema(*schemaPath, filepath.Join(bundle, "config.json"))
	v, err := validate.NewValidatorFromPath(bundle, true, "linux")
	if err != nil {
		f.addErr("load", err)
	} else {
		// CheckAll's order, without CheckJSONSchema.
		f.run("CheckPlatform", v.CheckPlatform)
		f.run("CheckRoot", v.CheckRoot)
		f.run("CheckMandatoryFields", v.CheckMandatoryFields)
		f.run("CheckSemVer", v.CheckSemVer)
		f.run("CheckMounts", v.CheckMounts)
		f.run("CheckProcess", v.CheckProcess)
		f.run("CheckLinux", v.CheckLinux)
		f.run("CheckAnnotations", v.CheckAnnotations)
		f.run("CheckHooks", v.CheckHooks)
	}

	// Checks walk maps: sort for a stable output.
	sort.Strings(f.lines)
	for _, l := range f.lines {
		fmt.Println(l)
	}
	if len(f.lines) > 0 {
		os.Exit(1)
	}
}
