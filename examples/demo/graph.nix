# A layered graph of small derivations with real references between outputs:
# every node of layer L depends on two nodes of layer L-1 and writes their
# store paths into its output, so its runtime closure really contains them.
# No network, no nixpkgs: plain `derivation` with /bin/sh.
#
#   nix build -f examples/demo/graph.nix --argstr tag "$RANDOM" all
#
# Arguments:
#   tag      makes every node new (Nix never rebuilds a valid path)
#   width    nodes per layer              depth   layers
#   sleep    seconds each node "builds" ("0": no /bin/sleep, for images without one)
#   failAt   name of a node whose build fails, e.g. "l3n1"
{ tag ? "demo"
, width ? 6
, depth ? 6
, sleep ? "0.2"
, failAt ? ""
, system ? builtins.currentSystem
}:
let
  range = n: builtins.genList (i: i) n;
  mkNode = layer: index: deps:
    let name = "l${toString layer}n${toString index}"; in
    derivation {
      inherit system;
      name = "attic-ci-demo-${tag}-${name}";
      builder = "/bin/sh";
      args = [ "-c" ''
        ${if sleep == "0" then "" else "/bin/sleep ${sleep}"}
        ${if name == failAt then "echo 'demo: ${name} fails on purpose' >&2; echo partial > $out; exit 1" else ""}
        {
          echo "${name} of ${tag}"
          for dep in ${toString deps}; do echo "$dep"; done
        } > $out
      '' ];
    };
  layers = builtins.foldl'
    (acc: layer:
      let previous = if acc == [] then [] else builtins.elemAt acc (builtins.length acc - 1); in
      acc ++ [ (map
        (index:
          mkNode layer index (if previous == [] then [] else [
            (builtins.elemAt previous index)
            (builtins.elemAt previous (if index + 1 < width then index + 1 else 0))
          ]))
        (range width)) ])
    [ ]
    (range depth);
  nodes = builtins.concatLists layers;
in
{
  inherit nodes;
  # The top: depends on every node of the last layer.
  all = derivation {
    inherit system;
    name = "attic-ci-demo-${tag}-all";
    builder = "/bin/sh";
    args = [ "-c" "{ for dep in ${toString (builtins.elemAt layers (depth - 1))}; do echo \"$dep\"; done; } > $out" ];
  };
}
