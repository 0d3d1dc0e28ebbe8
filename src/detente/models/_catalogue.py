"""The built-in models' catalogue entries: one-line description, citation, parameter defaults.

Written from the model classes by ``python scripts/write_model_catalogue.py``; do not edit.
``tests/models/test_catalogue.py`` fails when it is stale. ``detente models`` and ``GET /models``
list the models from here, so listing them imports no model and no numpy.
"""

from typing import Any

CATALOGUE: dict[str, dict[str, Any]] = {
    'weighted_mean': {
        'description': 'The compromise model: the power x salience weighted mean of the positions.',
        'reference': ('Achen, C. H. (2006). Evaluating political decision-making models. In R. '
                      'Thomson, F. N. Stokman, C. H. Achen & T. König (Eds.), The European Union '
                      'Decides (pp. 264-298). Cambridge University Press. '
                      'doi:10.1017/CBO9780511492082.011'),
        'parameters': {},
    },
    'weighted_median': {
        'description': ('The median voter: the position where cumulative power x salience crosses '
                        'half.'),
        'reference': ('Black, D. (1948). On the rationale of group decision-making. Journal of '
                      'Political Economy 56(1), 23-34. doi:10.1086/256633; Achen, C. H. (2006), in '
                      'Thomson et al. (Eds.), The European Union Decides, Cambridge University '
                      'Press'),
        'parameters': {},
    },
    'nash': {
        'description': 'Asymmetric Nash bargaining solution per issue.',
        'reference': ('Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162. '
                      'doi:10.2307/1907266; Kalai, E. (1977). Nonsymmetric Nash solutions and '
                      'replications of 2-person bargaining. Int. J. Game Theory 6, 179-187. '
                      'doi:10.1007/BF01774658; Achen, C. H. (2006), in Thomson et al. (Eds.), The '
                      'European Union Decides, Cambridge University Press'),
        'parameters': {'loss': 'linear', 'weights': 'power_salience', 'disagreement': 'auto'},
    },
    'exchange': {
        'description': ("Stokman's exchange model (vote trading), equal gain or randomised equal "
                        'gain (REX).'),
        'reference': ('Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: '
                      'an object-oriented model of policy networks. In B. Bueno de Mesquita & F. '
                      'N. Stokman (Eds.), European Community Decision Making (pp. 105-127). Yale '
                      'University Press; Stokman, F. N., & Van den Bos, J. M. M. (1992). A '
                      'two-stage model of policy making: with an empirical test in the U.S. energy '
                      'policy domain. In G. Moore & J. A. Whitt (Eds.), Research in Politics and '
                      'Society 4, 219-253. JAI Press'),
        'parameters': {'variant': 'stokman',
                       'rule': 'equal_gain',
                       'p': 0.5,
                       'rounds': 10,
                       'repetitions': 1,
                       'seed': None,
                       'backend': 'auto'},
    },
    'expected_utility': {
        'description': ("Bueno de Mesquita's expected-utility model in the Scholz et al. (2011) "
                        'replication.'),
        'reference': ('Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De '
                      "Mesquita's group decision model. Journal of Theoretical Politics 23(4), "
                      '510-531. doi:10.1177/0951629811418142; Bueno de Mesquita, B. (1994). '
                      'Political forecasting: an expected utility method. In B. Bueno de Mesquita '
                      '& F. N. Stokman (Eds.), European Community Decision Making (pp. 71-104). '
                      'Yale University Press; Bueno de Mesquita, B. (2002). Predicting Politics. '
                      'Ohio State University Press'),
        'parameters': {'rounds': 10,
                       'q': 1.0,
                       'probability': 'replication',
                       'capitulation': False,
                       'compromise': 'weight_point',
                       'tolerance': None,
                       'backend': 'auto'},
    },
    'ktab_smp': {
        'description': ("KTAB's Spatial Model of Politics, multi-dimensional (the scenario's "
                        'issues).'),
        'reference': ('Wise, B., Lester, L. & Efird, B. KTAB: KAPSARC Toolkit for Behavioral '
                      'Analysis, Spatial Model of Politics (smpc), King Abdullah Petroleum Studies '
                      'and Research Center, https://github.com/KAPSARC/KTAB (commit c57b72a, '
                      '2019), with its documentation (web/tutorial/SMPTutorial.md, '
                      'KTAB/kmodel/doc/markov-incentives.tex); Wise, B., Lester, L. & Efird, B. '
                      '(2015). An Introduction to the KAPSARC Toolkit for Behavioral Analysis '
                      '(KTAB), KAPSARC discussion paper; KAPSARC, Multidimensional Bargaining '
                      'using KTAB, KAPSARC discussion paper; Efird, B., Lester, L. & Wise, B. '
                      "(2016), KAPSARC study of China's upstream-oil state-owned-enterprise reform "
                      "(KTAB's SOE-Pol-Comp and SOE-Policy scenarios)"),
        'parameters': {'victory_prob_model': 'Linear',
                       'pce_model': 'Conditional',
                       'state_transitions': 'Deterministic',
                       'voting_rule': 'Prop',
                       'big_r_adjust': 'OneThird',
                       'big_r_range': 'Mid',
                       'third_party_commit': 'SemiCommit',
                       'inter_vec_brgn': 'S2P2',
                       'bargn_model': 'InitOnlyInterp',
                       'max_steps': 100,
                       'accommodation': ()},
    },
}
