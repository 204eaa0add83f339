package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/maju-call/maju/internal/config"
)

const templatePath = "deploy/aws/maju-single-node.yaml"

// cfnTags maps CloudFormation's YAML short forms to the long form they stand for.
var cfnTags = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr",
	"!FindInMap": "Fn::FindInMap", "!GetAtt": "Fn::GetAtt", "!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue",
	"!Join": "Fn::Join", "!Length": "Fn::Length", "!Select": "Fn::Select", "!Split": "Fn::Split", "!Sub": "Fn::Sub",
	"!ToJsonString": "Fn::ToJsonString", "!Transform": "Fn::Transform", "!And": "Fn::And", "!Equals": "Fn::Equals",
	"!If": "Fn::If", "!Not": "Fn::Not", "!Or": "Fn::Or",
	// Rules only.
	"!Contains": "Fn::Contains", "!EachMemberEquals": "Fn::EachMemberEquals", "!EachMemberIn": "Fn::EachMemberIn",
	"!RefAll": "Fn::RefAll", "!ValueOf": "Fn::ValueOf", "!ValueOfAll": "Fn::ValueOfAll",
}

// pseudoParams are the parameters CloudFormation defines itself.
var pseudoParams = []string{
	"AWS::AccountId", "AWS::NoValue", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region",
	"AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

// cfnValue turns a YAML node into the long-form JSON model CloudFormation works on: maps, lists and
// scalars (as strings), with every short-form tag replaced by its one-key map ({"Ref": "X"}).
func cfnValue(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, errors.New("not one YAML document")
		}
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not supported by CloudFormation", n.Line)
	case yaml.ScalarNode:
		v = n.Value
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			cv, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			list = append(list, cv)
		}
		v = list
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key that is not a string", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q given twice", k.Line, k.Value)
			}
			cv, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = cv
		}
		v = m
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil // no tag, or a standard one (!!str, !!int, …)
	}
	fn, ok := cfnTags[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	if s, isStr := v.(string); fn == "Fn::GetAtt" && isStr {
		res, attr, ok := strings.Cut(s, ".")
		if !ok {
			return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, s)
		}
		v = []any{res, attr}
	}
	return map[string]any{fn: v}, nil
}

// intrinsic reports whether v is a function call ({"Ref": …}, {"Fn::Sub": …}, {"Condition": …}).
func intrinsic(v any) (name string, arg any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

// walk calls fn on v and every value inside it.
func walk(v any, fn func(any)) {
	fn(v)
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			walk(c, fn)
		}
	case []any:
		for _, c := range x {
			walk(c, fn)
		}
	}
}

type cfnTemplate struct {
	params, resources, conditions, outputs map[string]map[string]any
	all                                    map[string]any
}

func section(t *testing.T, all map[string]any, name string) map[string]map[string]any {
	t.Helper()
	raw, _ := all[name].(map[string]any)
	out := make(map[string]map[string]any, len(raw))
	for k, v := range raw {
		if m, ok := v.(map[string]any); ok {
			out[k] = m
		} else if name != "Conditions" {
			t.Fatalf("%s.%s is not a mapping", name, k)
		}
	}
	return out
}

func loadTemplate(t *testing.T) cfnTemplate {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(readRepoFile(t, templatePath)), &doc); err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	v, err := cfnValue(&doc)
	if err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	all, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping", templatePath)
	}
	if all["AWSTemplateFormatVersion"] != "2010-09-09" {
		t.Errorf("AWSTemplateFormatVersion = %v", all["AWSTemplateFormatVersion"])
	}
	tpl := cfnTemplate{
		all:       all,
		params:    section(t, all, "Parameters"),
		resources: section(t, all, "Resources"),
		outputs:   section(t, all, "Outputs"),
	}
	conds, _ := all["Conditions"].(map[string]any)
	tpl.conditions = map[string]map[string]any{}
	for k := range conds {
		tpl.conditions[k] = nil
	}
	return tpl
}

// resourcesOfType returns the logical ids of the resources of type typ, sorted.
func (tpl cfnTemplate) resourcesOfType(typ string) []string {
	var ids []string
	for id, r := range tpl.resources {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (tpl cfnTemplate) one(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	ids := tpl.resourcesOfType(typ)
	if len(ids) != 1 {
		t.Fatalf("want exactly one %s resource, have %v", typ, ids)
	}
	props, _ := tpl.resources[ids[0]]["Properties"].(map[string]any)
	return ids[0], props
}

// dependsOn returns a resource's DependsOn, a string or a list.
func dependsOn(r map[string]any) []string {
	switch d := r["DependsOn"].(type) {
	case string:
		return []string{d}
	case []any:
		out := make([]string, 0, len(d))
		for _, x := range d {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

func isRef(v any, name string) bool {
	fn, arg, ok := intrinsic(v)
	return ok && fn == "Ref" && arg == name
}

var subVarRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// subVars returns the ${Name} and ${Resource.Attribute} references of a Fn::Sub string (not ${!Literal}).
func subVars(s string) []string {
	var out []string
	for _, m := range subVarRE.FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "!") {
			out = append(out, m[1])
		}
	}
	return out
}

// Every Ref, GetAtt, Sub variable, condition and DependsOn names something the template declares (or a
// pseudo parameter): CloudFormation would reject the stack otherwise, and only at deploy time.
func TestTemplateReferencesResolve(t *testing.T) {
	tpl := loadTemplate(t)
	if len(tpl.resources) == 0 || len(tpl.outputs) == 0 {
		t.Fatal("no Resources or no Outputs")
	}
	declared := func(name string) bool {
		_, p := tpl.params[name]
		_, r := tpl.resources[name]
		return p || r || slices.Contains(pseudoParams, name)
	}
	condition := func(where string, v any) {
		name, _ := v.(string)
		if _, ok := tpl.conditions[name]; !ok {
			t.Errorf("%s: condition %v is not declared", where, v)
		}
	}
	walk(tpl.all, func(v any) {
		fn, arg, ok := intrinsic(v)
		if !ok {
			return
		}
		switch fn {
		case "Ref":
			if name, _ := arg.(string); !declared(name) {
				t.Errorf("!Ref %v names no parameter, resource or pseudo parameter", arg)
			}
		case "Fn::GetAtt":
			list, _ := arg.([]any)
			if len(list) != 2 {
				t.Errorf("!GetAtt %v is not [Resource, Attribute]", arg)
			} else if _, ok := tpl.resources[fmt.Sprint(list[0])]; !ok {
				t.Errorf("!GetAtt %v: no resource %v", arg, list[0])
			}
		case "Fn::Sub":
			s, local := arg, map[string]any{}
			if list, isList := arg.([]any); isList && len(list) == 2 {
				s = list[0]
				local, _ = list[1].(map[string]any)
			}
			str, isStr := s.(string)
			if !isStr {
				t.Errorf("!Sub %v: the first argument is not a string", arg)
				return
			}
			for _, name := range subVars(str) {
				res, _, isAttr := strings.Cut(name, ".")
				_, isLocal := local[name]
				switch {
				case isLocal, declared(name):
				case isAttr && !strings.HasPrefix(name, "AWS::") && tpl.resources[res] != nil:
				default:
					t.Errorf("!Sub: ${%s} names nothing declared (a shell variable? write $%s or ${!%s})", name, name, name)
				}
			}
		case "Fn::If":
			list, _ := arg.([]any)
			if len(list) != 3 {
				t.Errorf("!If %v does not have 3 arguments", arg)
			} else {
				condition("!If", list[0])
			}
		case "Condition":
			condition("!Condition", arg)
		}
	})
	for id, r := range tpl.resources {
		if _, ok := r["Type"].(string); !ok {
			t.Errorf("resource %s has no Type", id)
		}
		if c, ok := r["Condition"]; ok {
			condition("resource "+id, c)
		}
		for _, d := range dependsOn(r) {
			if _, ok := tpl.resources[d]; !ok {
				t.Errorf("resource %s DependsOn %v, which is not a resource", id, d)
			}
		}
	}
	for id, o := range tpl.outputs {
		if c, ok := o["Condition"]; ok {
			condition("output "+id, c)
		}
	}
}

// Parameter defaults satisfy their own AllowedPattern and AllowedValues, and the patterns accept and
// reject what they should.
func TestTemplateParameters(t *testing.T) {
	tpl := loadTemplate(t)
	for _, name := range []string{"DomainName", "HostedZoneId", "InstanceType", "Architecture", "KeyName",
		"BinaryUrl", "BinarySha256", "SshCidr"} {
		if tpl.params[name] == nil {
			t.Errorf("parameter %s is missing", name)
		}
	}
	patterns := map[string]*regexp.Regexp{}
	for name, p := range tpl.params {
		pat, ok := p["AllowedPattern"].(string)
		if !ok {
			continue
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			t.Errorf("%s: AllowedPattern: %v", name, err)
			continue
		}
		patterns[name] = re
		if def, ok := p["Default"].(string); ok && !re.MatchString(def) {
			t.Errorf("%s: Default %q does not match AllowedPattern", name, def)
		}
		if def, ok := p["Default"].(string); ok {
			if vals, ok := p["AllowedValues"].([]any); ok && !slices.Contains(vals, any(def)) {
				t.Errorf("%s: Default %q is not among AllowedValues %v", name, def, vals)
			}
		}
	}
	for _, c := range []struct {
		param, value string
		ok           bool
	}{
		{"DomainName", "call.example.com", true},
		{"DomainName", "call example.com", false},
		{"DomainName", "localhost", false},
		{"BinarySha256", strings.Repeat("0123456789abcdef", 4), true},
		{"BinarySha256", "abc", false},
		{"BinaryUrl", "https://example-bucket.s3.amazonaws.com/maju?X-Amz-Signature=ab12", true},
		{"BinaryUrl", "http://example.com/maju", false},
		{"BinaryUrl", "https://example.com/maju'; reboot; '", false},
		{"HostedZoneId", "", true},
		{"HostedZoneId", "Z0123456789ABCDEFGHIJ", true},
		{"SshCidr", "198.51.100.7/32", true},
		{"SshCidr", "0.0.0.0/0; reboot", false},
	} {
		re := patterns[c.param]
		if re == nil {
			t.Errorf("parameter %s has no AllowedPattern", c.param)
			continue
		}
		if got := re.MatchString(c.value); got != c.ok {
			t.Errorf("%s AllowedPattern on %q: %v, want %v", c.param, c.value, got, c.ok)
		}
	}
	// The default instance type runs the default architecture's AMI (Graviton families have a g after
	// the generation number: t4g, c7gn, m7gd).
	arch, _ := tpl.params["Architecture"]["Default"].(string)
	it, _ := tpl.params["InstanceType"]["Default"].(string)
	graviton := regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g`).MatchString(it)
	if (arch == "arm64") != graviton {
		t.Errorf("default InstanceType %s does not match default Architecture %s", it, arch)
	}
}

// userData returns the instance's UserData script: Fn::Base64 of a Fn::Sub string.
func userData(t *testing.T, tpl cfnTemplate) string {
	t.Helper()
	_, props := tpl.one(t, "AWS::EC2::Instance")
	fn, arg, ok := intrinsic(props["UserData"])
	if !ok || fn != "Fn::Base64" {
		t.Fatalf("UserData is not Fn::Base64: %v", props["UserData"])
	}
	fn, arg, ok = intrinsic(arg)
	s, isStr := arg.(string)
	if !ok || fn != "Fn::Sub" || !isStr {
		t.Fatal("UserData is not Fn::Base64 of a Fn::Sub string")
	}
	return s
}

// heredoc returns the lines between `<<'END'` on the line starting with opener and the line END.
func heredoc(t *testing.T, script, opener string) string {
	t.Helper()
	lines := strings.Split(script, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, opener) {
			continue
		}
		_, tag, ok := strings.Cut(l, "<<'")
		if !ok {
			t.Fatalf("%q is not a quoted heredoc", l)
		}
		tag = strings.TrimSuffix(tag, "'")
		for j := i + 1; j < len(lines); j++ {
			if lines[j] == tag {
				return strings.Join(lines[i+1:j], "\n") + "\n"
			}
		}
		t.Fatalf("heredoc %q is not closed", l)
	}
	t.Fatalf("UserData has no line starting %q", opener)
	return ""
}

// substitute replaces the Fn::Sub variables of s with the sample values given; any other variable fails.
func substitute(t *testing.T, s string, values map[string]string) string {
	t.Helper()
	return subVarRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		v, ok := values[name]
		if !ok {
			t.Errorf("no sample value for ${%s}", name)
		}
		return v
	})
}

// Sample parameter values used to run what the template writes.
const (
	sampleDomain = "call.example.com"
	sampleIP     = "203.0.113.7"
)

func sampleValues(t *testing.T, tpl cfnTemplate) map[string]string {
	eip, _ := tpl.one(t, "AWS::EC2::EIP")
	return map[string]string{
		"DomainName":     sampleDomain,
		"AcmeEmail":      "",
		eip:              sampleIP,
		"BinaryUrl":      "https://example.com/maju",
		"BinarySha256":   strings.Repeat("0", 64),
		"AWS::StackName": "maju",
		"AWS::Region":    "eu-central-1",
		"AWS::URLSuffix": "amazonaws.com",
		"AWS::Partition": "aws",
		"AWS::AccountId": "123456789012",
	}
}

type ingress struct {
	proto    string
	from, to int
	cidr     string
}

// ingressRules returns the security group's unconditional ingress rules.
func ingressRules(t *testing.T, tpl cfnTemplate) []ingress {
	t.Helper()
	_, sg := tpl.one(t, "AWS::EC2::SecurityGroup")
	list, _ := sg["SecurityGroupIngress"].([]any)
	var out []ingress
	for _, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		if _, _, isFn := intrinsic(m); isFn {
			continue // conditional (SSH)
		}
		from, err1 := strconv.Atoi(fmt.Sprint(m["FromPort"]))
		to, err2 := strconv.Atoi(fmt.Sprint(m["ToPort"]))
		if err1 != nil || err2 != nil {
			t.Errorf("ingress rule %v: ports are not numbers", m)
			continue
		}
		out = append(out, ingress{strings.ToLower(fmt.Sprint(m["IpProtocol"])), from, to, fmt.Sprint(m["CidrIp"])})
	}
	return out
}

func port(t *testing.T, flagName, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		t.Fatalf("-%s %q: no port", flagName, addr)
	}
	return n
}

// The security group opens exactly what maju listens on publicly when it runs with the settings the
// template writes: those settings are loaded by maju's own config.Load, with the unit's Environment=.
func TestTemplateOpensWhatMajuListensOn(t *testing.T) {
	tpl := loadTemplate(t)
	script := userData(t, tpl)
	envFile := substitute(t, heredoc(t, script, "cat > /etc/maju/maju.env"), sampleValues(t, tpl))
	u := loadUnit(t)

	env := map[string]string{}
	for k, v := range u.env() {
		env[k] = strings.ReplaceAll(v, "%d", "/run/credentials/maju.service")
	}
	for _, line := range strings.Split(envFile, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("maju.env line %q is not KEY=value", line)
		}
		env[k] = v // EnvironmentFile= overrides Environment=
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("maju rejects the settings the template writes: %v\n%s", err, envFile)
	}
	if cfg.TURN.PublicIP != sampleIP {
		t.Errorf("TURN public IP %q, want the Elastic IP", cfg.TURN.PublicIP)
	}
	if !slices.Equal(cfg.HTTPS.Domains, []string{sampleDomain}) {
		t.Errorf("domains %v, want [%s]", cfg.HTTPS.Domains, sampleDomain)
	}
	if cfg.MetricsAddr != "" {
		host, _, err := net.SplitHostPort(cfg.MetricsAddr)
		if ip, err2 := netip.ParseAddr(host); err != nil || err2 != nil || !ip.IsLoopback() {
			t.Errorf("metrics listen on %q, which is not loopback (the security group does not guard it)", cfg.MetricsAddr)
		}
	}

	lo, hi, err := config.Default().TURN.PortRange()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TURN.RelayPorts != config.Default().TURN.RelayPorts {
		t.Errorf("the template changes -turn-relay-ports to %s; keep the default", cfg.TURN.RelayPorts)
	}
	need := []ingress{
		{"tcp", port(t, "addr", cfg.Addr), port(t, "addr", cfg.Addr), "0.0.0.0/0"},
		{"udp", int(lo), int(hi), "0.0.0.0/0"},
	}
	if cfg.HTTPS.HTTPAddr != "" {
		p := port(t, "http-addr", cfg.HTTPS.HTTPAddr)
		need = append(need, ingress{"tcp", p, p, "0.0.0.0/0"})
	}
	for _, l := range []struct{ proto, flag, addr string }{
		{"udp", "turn-udp", cfg.TURN.UDPAddr}, {"tcp", "turn-tcp", cfg.TURN.TCPAddr}, {"tcp", "turn-tls", cfg.TURN.TLSAddr},
	} {
		if cfg.TURN.Enabled && l.addr != "" {
			p := port(t, l.flag, l.addr)
			need = append(need, ingress{l.proto, p, p, "0.0.0.0/0"})
		}
	}
	// The ports docs/turn.md and docs/deploy-aws.md name, spelled out.
	for _, r := range []ingress{
		{"tcp", 443, 443, "0.0.0.0/0"}, {"tcp", 80, 80, "0.0.0.0/0"},
		{"udp", 3478, 3478, "0.0.0.0/0"}, {"tcp", 3478, 3478, "0.0.0.0/0"},
	} {
		if !slices.Contains(need, r) {
			t.Errorf("maju with the template's settings does not listen on %s %d, which the security group should open", r.proto, r.from)
		}
	}
	have := ingressRules(t, tpl)
	for _, r := range need {
		if !slices.Contains(have, r) {
			t.Errorf("security group lacks ingress %s %d-%d from %s", r.proto, r.from, r.to, r.cidr)
		}
	}
	for _, r := range have {
		if !slices.Contains(need, r) {
			t.Errorf("security group opens %s %d-%d, which maju does not listen on", r.proto, r.from, r.to)
		}
	}
}

// The Elastic IP is associated with the instance (through its primary network interface, before it
// boots), the instance sits in the security group, and maju announces that IP as its relay address.
func TestTemplateElasticIPAndInstance(t *testing.T) {
	tpl := loadTemplate(t)
	eip, eipProps := tpl.one(t, "AWS::EC2::EIP")
	assoc, assocProps := tpl.one(t, "AWS::EC2::EIPAssociation")
	inst, instProps := tpl.one(t, "AWS::EC2::Instance")
	sg, _ := tpl.one(t, "AWS::EC2::SecurityGroup")
	if eipProps["Domain"] != "vpc" {
		t.Errorf("%s Domain = %v, want vpc", eip, eipProps["Domain"])
	}
	if fn, arg, _ := intrinsic(assocProps["AllocationId"]); fn != "Fn::GetAtt" || fmt.Sprint(arg) != fmt.Sprint([]any{eip, "AllocationId"}) {
		t.Errorf("%s AllocationId = %v, want !GetAtt %s.AllocationId", assoc, assocProps["AllocationId"], eip)
	}

	var groups []any // the instance's security groups, wherever they are given
	groups, _ = instProps["SecurityGroupIds"].([]any)
	switch {
	case isRef(assocProps["InstanceId"], inst):
	case assocProps["NetworkInterfaceId"] != nil:
		_, eniName, _ := intrinsic(assocProps["NetworkInterfaceId"])
		eni := tpl.resources[fmt.Sprint(eniName)]
		if eni == nil || eni["Type"] != "AWS::EC2::NetworkInterface" {
			t.Fatalf("%s NetworkInterfaceId %v is not a network interface of this template", assoc, assocProps["NetworkInterfaceId"])
		}
		primary := false
		nics, _ := instProps["NetworkInterfaces"].([]any)
		for _, n := range nics {
			m, _ := n.(map[string]any)
			if fmt.Sprint(m["DeviceIndex"]) == "0" && isRef(m["NetworkInterfaceId"], fmt.Sprint(eniName)) {
				primary = true
			}
		}
		if !primary {
			t.Errorf("the Elastic IP's network interface %v is not the instance's primary (DeviceIndex 0)", eniName)
		}
		// The first boot downloads the binary and starts maju: the public address must be there.
		if !slices.Contains(dependsOn(tpl.resources[inst]), assoc) {
			t.Errorf("%s does not DependsOn %s, so it may boot before its Elastic IP is associated", inst, assoc)
		}
		eniProps, _ := eni["Properties"].(map[string]any)
		groups, _ = eniProps["GroupSet"].([]any)
	default:
		t.Fatalf("%s associates the Elastic IP with neither the instance nor its network interface", assoc)
	}
	if !slices.ContainsFunc(groups, func(g any) bool { return isRef(g, sg) }) {
		t.Errorf("the instance is not in security group %s", sg)
	}

	script := userData(t, tpl)
	for _, line := range []string{
		"MAJU_TURN_PUBLIC_IP=${" + eip + "}", // Ref of an EIP is its address
		"MAJU_DOMAIN=${DomainName}",
	} {
		if !slices.Contains(strings.Split(heredoc(t, script, "cat > /etc/maju/maju.env"), "\n"), line) {
			t.Errorf("UserData's maju.env lacks the line %s", line)
		}
	}
	if fn, _, _ := intrinsic(instProps["ImageId"]); fn != "Fn::If" {
		t.Errorf("ImageId %v does not choose the AMI by architecture", instProps["ImageId"])
	}
}

// The first-boot script installs the verified binary, raises the UDP buffer limits maju asks for,
// creates the TURN secret where the unit loads it from, installs deploy/systemd/maju.service unchanged
// and starts it; and it is valid bash.
func TestTemplateUserData(t *testing.T) {
	tpl := loadTemplate(t)
	script := userData(t, tpl)

	// AWS limits user data to 16 KiB before base64; leave room for a long presigned BinaryUrl.
	if len(script) > 12<<10 {
		t.Errorf("UserData is %d bytes; the limit is 16 KiB with the parameters filled in", len(script))
	}
	for _, want := range []string{
		"#!/bin/bash\n",
		"set -euo pipefail\n",
		"'${BinaryUrl}'",
		"echo '${BinarySha256}  /tmp/maju.download' | sha256sum --check --strict -\n",
		"install -m 0755 /tmp/maju.download /usr/local/bin/maju\n",
		"systemctl enable --now maju.service\n",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("UserData lacks %q", want)
		}
	}
	if i, j := strings.Index(script, "sha256sum --check"), strings.Index(script, "install -m 0755 /tmp/maju.download"); i < 0 || j < i {
		t.Error("UserData installs the binary before checking its SHA-256")
	}

	// maju asks for 4 MiB socket buffers on its TURN sockets (udpBufferBytes in internal/turn).
	sysctl := heredoc(t, script, "cat > /etc/sysctl.d/")
	for _, key := range []string{"net.core.rmem_max", "net.core.wmem_max"} {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=\s*(\d+)$`).FindStringSubmatch(sysctl)
		if m == nil {
			t.Errorf("UserData does not set %s:\n%s", key, sysctl)
		} else if n, _ := strconv.Atoi(m[1]); n < 4<<20 {
			t.Errorf("UserData sets %s to %d, less than the 4 MiB maju asks for", key, n)
		}
	}

	// The unit is deploy/systemd/maju.service byte for byte.
	unitText := readRepoFile(t, "deploy/systemd/maju.service")
	if got := heredoc(t, script, "cat > /etc/systemd/system/maju.service"); got != unitText {
		t.Errorf("the unit in %s differs from deploy/systemd/maju.service; copy the file into the heredoc "+
			"(indented by 10 spaces) so that both are the same", templatePath)
	}
	// The secret is created where the unit's LoadCredential= reads it.
	u := loadUnit(t)
	_, secretPath, _ := strings.Cut(u.last("Service", "LoadCredential"), ":")
	if !strings.Contains(script, "base64 > "+secretPath+")") || !strings.Contains(script, "[ ! -s "+secretPath+" ]") {
		t.Errorf("UserData does not create the TURN secret %s once (the unit's LoadCredential= source)", secretPath)
	}

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Log("bash not installed: UserData syntax not checked")
		return
	}
	f := filepath.Join(t.TempDir(), "userdata.sh")
	if err := os.WriteFile(f, []byte(substitute(t, script, sampleValues(t, tpl))), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bash, "-n", f).CombinedOutput(); err != nil {
		t.Errorf("bash -n on the UserData: %v\n%s", err, out)
	}
}

// The A record exists only when a hosted zone is given, names DomainName and points at the Elastic IP.
func TestTemplateDNSRecord(t *testing.T) {
	tpl := loadTemplate(t)
	eip, _ := tpl.one(t, "AWS::EC2::EIP")
	id, props := tpl.one(t, "AWS::Route53::RecordSet")
	cond, _ := tpl.resources[id]["Condition"].(string)
	if cond == "" {
		t.Fatalf("%s has no Condition: it must only exist when HostedZoneId is given", id)
	}
	raw, _ := tpl.all["Conditions"].(map[string]any)
	usesZone := false
	walk(raw[cond], func(v any) { usesZone = usesZone || isRef(v, "HostedZoneId") })
	if !usesZone {
		t.Errorf("condition %s does not look at HostedZoneId", cond)
	}
	if d := tpl.params["HostedZoneId"]["Default"]; d != "" {
		t.Errorf("HostedZoneId Default = %v, want empty (optional)", d)
	}
	if !isRef(props["HostedZoneId"], "HostedZoneId") || !isRef(props["Name"], "DomainName") || props["Type"] != "A" {
		t.Errorf("%s is not an A record for DomainName in HostedZoneId: %v", id, props)
	}
	rr, _ := props["ResourceRecords"].([]any)
	if len(rr) != 1 || !isRef(rr[0], eip) {
		t.Errorf("%s ResourceRecords = %v, want [!Ref %s]", id, props["ResourceRecords"], eip)
	}
}

// The outputs give the URL, the public IP and the doctor command.
func TestTemplateOutputs(t *testing.T) {
	tpl := loadTemplate(t)
	eip, _ := tpl.one(t, "AWS::EC2::EIP")
	var subs []string
	refsEIP := false
	for _, o := range tpl.outputs {
		walk(o["Value"], func(v any) {
			if fn, arg, ok := intrinsic(v); ok && fn == "Fn::Sub" {
				subs = append(subs, fmt.Sprint(arg))
			}
			refsEIP = refsEIP || isRef(v, eip)
		})
	}
	if !refsEIP {
		t.Errorf("no output gives the Elastic IP (!Ref %s)", eip)
	}
	for _, want := range []string{"https://${DomainName}/", "maju doctor https://${DomainName}/"} {
		if !slices.ContainsFunc(subs, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no output shows %q", want)
		}
	}
}

// cfn-lint (AWS's template linter) knows every resource type's properties; run it when installed.
func TestTemplateCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint); the template is still checked by the other tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, lint, "--", filepath.Join(repoRoot, templatePath)).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode()&2 == 0 && exit.ExitCode() > 0:
		t.Logf("cfn-lint warnings or notes (exit %d):\n%s", exit.ExitCode(), out) // bit 2 is errors
	default:
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}
