package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name, in string
		ids      []string
		wantErr  string
	}{
		{"ok", "id,ip\nesx01,10.0.0.1\nesx02,10.0.0.2\n", []string{"esx01", "esx02"}, ""},
		{"bom crlf spaces", "\xEF\xBB\xBFid , ip\r\n esx01 ,10.0.0.1\r\n", []string{"esx01"}, ""},
		{"quoted", "id,note\nesx01,\"a,b\"\n", []string{"esx01"}, ""},
		{"no id column", "host,ip\na,b\n", nil, "line 1: no id column (header: host,ip)"},
		{"empty", "", nil, "empty inventory"},
		{"header only", "id,ip\n", nil, "no hosts"},
		{"empty id", "id,ip\nesx01,1\n,2\n", nil, "line 3: empty id"},
		{"duplicate", "id,ip\nesx01,1\nesx02,2\nESX01,3\n", nil, `line 4: id "ESX01" already used on line 2`},
		{"unsafe id", "id\n../etc/passwd\n", nil, `line 2: id "../etc/passwd" is not a safe file name`},
		{"dot id", "id\n.hidden\n", nil, "not a safe file name"},
		{"field count", "id,ip\nesx01,1\nesx02\n", nil, "line 3: wrong number of fields"},
		{"bad header", "id,my-ip\na,b\n", nil, "line 1: column 2"},
		{"dup header", "id,ip,ip\na,b,c\n", nil, `column "ip" twice`},
		{"space in value", "id,ip\nesx01,10.0.0.1 x\n", nil, "line 2: host esx01: ip (a 10-byte value, not shown: it may be a password): white space at byte 8"},
		{"bad quote", "id\n\"esx01\n", nil, "line 2"},
		{"semicolons", "id;ip\nesx01;10.0.0.1\n", nil, "line 1: the separator is ';', not ',': export the inventory as comma-separated values (or write it as .json)"},
		{"tabs", "id\tip\nesx01\t10.0.0.1\n", nil, "line 1: the separator is a tab, not ','"},
		{"one column", "id\nesx01;x\n", nil, `line 2: id "esx01;x" is not a safe file name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts, err := ParseCSV([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range hosts {
				ids = append(ids, h.ID)
				if h.Vars["id"] != h.ID {
					t.Errorf("Vars[id] = %q", h.Vars["id"])
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Errorf("ids = %v, want %v", ids, tt.ids)
			}
		})
	}
}

func TestReadJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts.json")
	os.WriteFile(p, []byte(`[{"id":"esx01","vlan":12,"dhcp":false},{"id":"esx02","vlan":13,"dhcp":true}]`), 0o644)
	hosts, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 || hosts[0].Vars["vlan"] != "12" || hosts[1].Vars["dhcp"] != "true" || hosts[1].Line != 2 {
		t.Errorf("hosts = %+v", hosts)
	}
	os.WriteFile(p, []byte(`[{"id":"esx01","x":{"a":1}}]`), 0o644)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), `element 1: "x" must be a string`) {
		t.Errorf("nested value: %v", err)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("id,ip\nesx01,10.0.0.1\n"))
	f.Add([]byte("id\n\"a\"\"b\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hosts, err := ParseCSV(b)
		if err != nil {
			return
		}
		for _, h := range hosts {
			if CheckID(h.ID) != nil {
				t.Fatalf("accepted unsafe id %q", h.ID)
			}
		}
	})
}
