"""Load an inventory directory the way the plan action does, through Ansible's own inventory code."""
import pathlib

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

from ansible_collections.netstack.baremetal.plugins.module_utils import inventory

REPO = pathlib.Path(__file__).resolve().parents[2]


def load_inventory(path):
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[str(path)])
    variables = VariableManager(loader=loader, inventory=manager)
    groups = {name: [h.name for h in group.get_hosts()] for name, group in manager.groups.items()}

    def host_vars(host):
        return variables.get_vars(host=manager.get_host(host))
    return inventory.collect_inventory(groups, host_vars)
